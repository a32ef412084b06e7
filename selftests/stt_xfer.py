#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP file transfer with a SHA-256 check, and a /proc/net/stt sampler.

Used by the stt selftests (no socat or nc needed):

  stt_xfer.py recv ADDR PORT [IDLE_SECS]
      listen on ADDR:PORT, accept one connection, read to EOF; print
      "bytes=N sha256=HEX secs=S".  Exit 1 if the peer stays silent for
      IDLE_SECS (default 120) or the connection breaks.
  stt_xfer.py send ADDR PORT FILE [TIMEOUT_SECS]
      connect (retrying for 10 s), send FILE, close; print
      "bytes=N secs=S".  Exit 1 on error or after TIMEOUT_SECS (600).
  stt_xfer.py stream ADDR PORT STOPFILE [MBIT]
      connect, send a stream (64 KiB chunks of random data, each headed
      by its number) until STOPFILE exists, at no more than MBIT Mbit/s
      (default: no limit), close; print "bytes=N sha256=HEX secs=S" of
      what was sent, to compare with the receiver's.
  stt_xfer.py sample FILE PERIOD_MS STOPFILE [NAME]
      read /proc/net/stt every PERIOD_MS until STOPFILE exists; print
      "samples=N max=M last=L" for counter NAME (default reasm_bytes) and
      write one "time value" line per sample to FILE.
"""

import hashlib
import os
import socket
import sys
import time


def family(addr):
    """IPv6 for an address with a colon, else IPv4."""
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv(addr, port, idle=120.0):
    lsn = socket.socket(family(addr), socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind((addr, port))
    lsn.listen(1)
    lsn.settimeout(idle)
    conn, _ = lsn.accept()
    lsn.close()
    conn.settimeout(idle)
    h = hashlib.sha256()
    n = 0
    t0 = time.monotonic()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    while True:
        k = conn.recv_into(view)
        if not k:
            break
        h.update(view[:k])
        n += k
    conn.close()
    print("bytes=%d sha256=%s secs=%.2f" % (n, h.hexdigest(),
                                           time.monotonic() - t0))
    return 0


def send(addr, port, path, timeout=600.0):
    s = connect(addr, port, timeout)
    t0 = time.monotonic()
    with open(path, "rb") as f:
        n = s.sendfile(f)
    s.shutdown(socket.SHUT_WR)
    # Wait for the receiver to close: everything was read.
    s.recv(1)
    s.close()
    print("bytes=%d secs=%.2f" % (n, time.monotonic() - t0))
    return 0


def connect(addr, port, timeout):
    deadline = time.monotonic() + 10
    while True:
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect((addr, port))
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stream(addr, port, stopfile, mbit=0.0, timeout=120.0):
    s = connect(addr, port, timeout)
    base = os.urandom(1 << 16)
    h = hashlib.sha256()
    n = 0
    k = 0
    t0 = time.monotonic()
    while not os.path.exists(stopfile):
        chunk = k.to_bytes(8, "big") + base[8:]
        s.sendall(chunk)
        h.update(chunk)
        n += len(chunk)
        k += 1
        if mbit > 0:
            ahead = n * 8 / (mbit * 1e6) - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    print("bytes=%d sha256=%s secs=%.2f" % (n, h.hexdigest(),
                                           time.monotonic() - t0))
    return 0


def read_counter(name):
    with open("/proc/net/stt") as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and w[0] == name:
                return int(w[1])
    return None


def sample(out, period_ms, stopfile, name="reasm_bytes"):
    period = period_ms / 1000.0
    vmax = None
    last = None
    n = 0
    t0 = time.monotonic()
    with open(out, "w") as f:
        while not os.path.exists(stopfile):
            v = read_counter(name)
            if v is not None:
                n += 1
                last = v
                vmax = v if vmax is None else max(vmax, v)
                f.write("%.3f %d\n" % (time.monotonic() - t0, v))
            time.sleep(period)
    print("samples=%d max=%s last=%s" % (n, vmax, last))
    return 0 if n else 1


def main(argv):
    try:
        if len(argv) >= 3 and argv[0] == "recv":
            return recv(argv[1], int(argv[2]),
                        float(argv[3]) if len(argv) > 3 else 120.0)
        if len(argv) >= 4 and argv[0] == "send":
            return send(argv[1], int(argv[2]), argv[3],
                        float(argv[4]) if len(argv) > 4 else 600.0)
        if len(argv) >= 4 and argv[0] == "stream":
            return stream(argv[1], int(argv[2]), argv[3],
                          float(argv[4]) if len(argv) > 4 else 0.0)
        if len(argv) >= 4 and argv[0] == "sample":
            return sample(argv[1], float(argv[2]), argv[3],
                          argv[4] if len(argv) > 4 else "reasm_bytes")
    except (OSError, ValueError) as e:
        print("stt_xfer.py %s: %s" % (argv[0], e), file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
