#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sample a QEMU guest's program counters over QEMU's gdbstub.

perf's cpu-clock sampling does not work in our TCG guests (its samples
land in the idle loop), so this samples from the outside: stop the VM,
read every vCPU's RIP, let it run for INTERVAL, again, for SECS seconds.
Stopping a TCG vCPU waits for the end of its translation block, so a
sample is exact to the block, and the stops themselves cost the guest a
fraction of a millisecond each.

    gdbprof.py --port 1234 --log VM_LOG --prefix PREFIX [--interval 0.02]
               [--stack WORDS]

It samples between the "PROFILE-BEGIN KIND" and "PROFILE-END" lines the
guest prints (VM_LOG, as it grows) into PREFIX-KIND.samples, one
"vcpu rip" line (hex) per sample, and ends with the VM.  With --stack,
a sample taken in the kernel also reads WORDS 64-bit words from the top
of its stack and appends those that point into the kernel's text or
modules: return addresses, most of them, which symbolize.py --callers
turns into rough call chains (the kernel keeps no frame pointers; stale
words on the stack show up too).  One connection
for the whole run: QEMU 7.2's gdbstub does not take a second one.
tools/bench/profile.sh boots the VM with -gdb and symbolizes the result.
"""

import argparse
import select
import socket
import sys
import time


class Stub:
    """The GDB remote serial protocol, as much as sampling needs."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.acks = True

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("gdbstub closed the connection")
        self.buf += data

    def drain(self):
        """Drop what the stub sent unasked (QEMU reports the stop)."""
        self.sock.settimeout(0.5)
        try:
            while True:
                self._fill()
        except socket.timeout:
            pass
        self.sock.settimeout(30)
        if self.acks and b"$" in self.buf:
            self.sock.sendall(b"+")
        self.buf = b""

    def send(self, payload):
        """Send a packet; acknowledgements ("+") are skipped by recv()."""
        csum = sum(payload.encode()) & 0xFF
        self.sock.sendall(b"$%s#%02x" % (payload.encode(), csum))

    def recv(self):
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if end >= 0 and len(self.buf) >= end + 3:
                pkt = self.buf[start + 1:end].decode()
                self.buf = self.buf[end + 3:]
                if self.acks:
                    self.sock.sendall(b"+")
                return pkt
            self._fill()

    def cmd(self, payload):
        self.send(payload)
        return self.recv()

    def interrupt(self):
        self.sock.sendall(b"\x03")
        return self.recv()


def threads(stub):
    out = []
    reply = stub.cmd("qfThreadInfo")
    while reply.startswith("m"):
        out += [int(t, 16) for t in reply[1:].split(",") if t]
        reply = stub.cmd("qsThreadInfo")
    return out


KTEXT = 0xffffffff80000000          # kernel text and modules from here up


def reg(regs, i):
    return int.from_bytes(bytes.fromhex(regs[i * 16:(i + 1) * 16]), "little")


def sample(stub, tid, words):
    """(rip, [kernel text words from the top of the stack]) or None."""
    if stub.cmd("Hg%x" % tid) != "OK":
        return None
    regs = stub.cmd("g")            # x86_64: rax rbx rcx rdx rsi rdi rbp rsp r8-r15, rip
    if len(regs) < 17 * 16:
        return None
    pc, stack = reg(regs, 16), []
    if words and pc >= KTEXT:
        mem = stub.cmd("m%x,%x" % (reg(regs, 7), 8 * words))
        if not mem.startswith("E") and len(mem) % 16 == 0:
            for i in range(0, len(mem), 16):
                w = int.from_bytes(bytes.fromhex(mem[i:i + 16]), "little")
                if w >= KTEXT:
                    stack.append(w)
    return pc, stack


def connect(port, secs):
    deadline = time.monotonic() + secs
    while True:
        try:
            return Stub(port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Log:
    """New lines of a growing file."""

    def __init__(self, path):
        self.path, self.pos, self.part = path, 0, ""

    def lines(self):
        try:
            with open(self.path, errors="replace") as f:
                f.seek(self.pos)
                data = f.read()
                self.pos = f.tell()
        except FileNotFoundError:
            return []
        data = self.part + data
        lines = data.split("\n")
        self.part = lines.pop()
        return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=1234)
    ap.add_argument("--log", required=True,
                    help="the VM's output: PROFILE-BEGIN KIND / PROFILE-END lines")
    ap.add_argument("--prefix", required=True, help="samples go to PREFIX-KIND.samples")
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--stack", type=int, default=0,
                    help="stack words to scan per kernel sample (0: none)")
    args = ap.parse_args()

    stub = connect(args.port, 120)
    stub.drain()
    # Connecting stopped the VM.  Acknowledgements stay on where the stub
    # cannot turn them off (QEMU 7.2).
    if stub.cmd("QStartNoAckMode") == "OK":
        stub.acks = False
    stub.cmd("?")
    tids = threads(stub)
    log = Log(args.log)
    out, kind, n = None, None, 0
    stub.send("c")
    try:
        while True:
            for line in log.lines():
                if "PROFILE-BEGIN " in line:
                    kind = line.split("PROFILE-BEGIN ", 1)[1].strip()
                    out, n = open("%s-%s.samples" % (args.prefix, kind), "w"), 0
                elif "PROFILE-END" in line and out:
                    out.close()
                    print("gdbprof: %s: %d samples of %d vCPUs" % (kind, n, len(tids)),
                          file=sys.stderr)
                    out = None
            time.sleep(args.interval)
            if not out:
                # Running: only look whether the VM went away.
                if select.select([stub.sock], [], [], 0)[0]:
                    stub._fill()
                continue
            stub.interrupt()
            for i, tid in enumerate(tids):
                smp = sample(stub, tid, args.stack)
                if smp is not None:
                    out.write(" ".join(["%d" % i] + ["%x" % w for w in
                                                     [smp[0]] + smp[1]]) + "\n")
                    n += 1
            stub.send("c")
    except (EOFError, OSError):
        pass                        # the VM is gone


if __name__ == "__main__":
    main()
