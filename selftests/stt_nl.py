#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one raw RTM_NEWLINK for an stt device and print the kernel's answer.

Used by stt_netlink.sh to send what the iproute2 plugin never sends:
attributes of the wrong length, a missing remote, port 0.

  stt_nl.py [--kind KIND] [--change] NAME [ATTR=TYPE:VALUE ...]
  stt_nl.py --batch

--batch reads one request a line from stdin (the arguments above, split
like a shell would) and prints one answer a line, in order.

--change modifies the existing device NAME (changelink: no NLM_F_CREATE,
no NLM_F_EXCL) instead of creating it.

ATTR is an IFLA_STT_* name (REMOTE, LOCAL, KEY, PORT, TTL, TOS; numbers
taken from include/uapi/linux/stt.h) or a number.  TYPE:VALUE is one of
  ip:192.0.2.1   u8:N   u16:N   u32:N   u64:N (host order)
  be16:N   be32:N   hex:00ff11 (raw bytes; "hex:" alone is empty)

Prints "ok" or "error=-N (strerror) msg='extack message'".  Exit status:
0 created (or changed), 1 refused by the kernel, 2 usage or socket problem.
"""

import errno
import os
import re
import shlex
import socket
import struct
import sys

NETLINK_ROUTE = 0
NETLINK_EXT_ACK = 11
SOL_NETLINK = 270
RTM_NEWLINK = 16
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG = 1
IFLA_IFNAME, IFLA_LINKINFO = 3, 18
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
NLA_F_NESTED = 0x8000

UAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "include", "uapi", "linux", "stt.h")


def stt_attr_numbers():
    """IFLA_STT_* names to numbers, in the order of the uapi enum."""
    names = {}
    try:
        with open(UAPI) as f:
            text = f.read()
    except OSError:
        return {"REMOTE": 1, "LOCAL": 2, "KEY": 3, "PORT": 4, "TTL": 5,
                "TOS": 6}
    body = re.search(r"enum\s*{([^}]*IFLA_STT_UNSPEC[^}]*)}", text).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    n = 0
    for item in body.split(","):
        m = re.match(r"\s*IFLA_STT_(\w+)\s*(?:=\s*(\w+))?", item)
        if not m:
            continue
        if m.group(2):
            n = int(m.group(2), 0)
        names[m.group(1)] = n
        n += 1
    return names


def attr(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def encode(spec):
    kind, _, val = spec.partition(":")
    if kind == "ip":
        return socket.inet_aton(val)
    if kind == "hex":
        return bytes.fromhex(val)
    fmt = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q", "be16": "!H",
           "be32": "!I"}.get(kind)
    if not fmt:
        raise ValueError("unknown type %r" % kind)
    return struct.pack(fmt, int(val, 0))


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    kind = "stt"
    change = False
    while len(argv) > 2 and argv[1] in ("--kind", "--change"):
        if argv[1] == "--kind":
            kind, argv = argv[2], argv[:1] + argv[3:]
        else:
            change, argv = True, argv[:1] + argv[2:]
    numbers = stt_attr_numbers()
    data = b""
    for a in argv[2:]:
        name, _, spec = a.partition("=")
        atype = int(name, 0) if name[0].isdigit() else numbers[name.upper()]
        data += attr(atype, encode(spec))

    linkinfo = attr(IFLA_INFO_KIND, kind.encode() + b"\0")
    linkinfo += attr(IFLA_INFO_DATA | NLA_F_NESTED, data)
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)
    body += attr(IFLA_IFNAME, argv[1].encode() + b"\0")
    body += attr(IFLA_LINKINFO | NLA_F_NESTED, linkinfo)
    flags = NLM_F_REQUEST | NLM_F_ACK
    if not change:
        flags |= NLM_F_CREATE | NLM_F_EXCL
    msg = struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, flags, 1, 0)
    msg += body

    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    try:
        s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    except OSError:
        pass
    s.bind((0, 0))
    s.sendto(msg, (0, 0))
    while True:
        reply = s.recv(65536)
        off = 0
        while off + 16 <= len(reply):
            length, mtype, mflags, _, _ = struct.unpack_from("=IHHII",
                                                             reply, off)
            if mtype == NLMSG_ERROR:
                return report(reply[off:off + length], mflags)
            off += (length + 3) & ~3


def report(m, mflags):
    err = struct.unpack_from("=i", m, 16)[0]
    if err == 0:
        print("ok")
        return 0
    text = ""
    if mflags & NLM_F_ACK_TLVS:
        # The echoed request: its header only when capped.
        olen = struct.unpack_from("=I", m, 20)[0]
        off = 20 + (16 if mflags & NLM_F_CAPPED else (olen + 3) & ~3)
        while off + 4 <= len(m):
            alen, atype = struct.unpack_from("=HH", m, off)
            if alen < 4:
                break
            if atype == NLMSGERR_ATTR_MSG:
                text = m[off + 4:off + alen].rstrip(b"\0").decode(
                    errors="replace")
            off += (alen + 3) & ~3
    print("error=%d (%s) msg='%s'" % (err, os.strerror(-err), text))
    return 1


def batch():
    """One request a line from stdin, one answer a line."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            main(["stt_nl.py"] + shlex.split(line))
        except (OSError, ValueError, KeyError) as e:
            print("stt_nl.py: %s" % e)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    try:
        if sys.argv[1:] == ["--batch"]:
            sys.exit(batch())
        sys.exit(main(sys.argv))
    except (OSError, ValueError, KeyError) as e:
        print("stt_nl.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(errno.EINTR)
