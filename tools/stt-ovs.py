#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A minimal Open vSwitch kernel datapath client, for the selftests.

It drives an STT device the way ovs-vswitchd does, over the openvswitch
module's generic netlink families (include/uapi/linux/openvswitch.h),
with nothing but the Python standard library:

  stt-ovs.py egress DEV ID DST [COUNT]
      Create datapath "sttovs" with DEV as a netdev port and execute
      COUNT (1) test frames (broadcast, EtherType 0x88b5) with the actions
      set(tunnel(id=ID, dst=DST, ttl=64)),
      userspace(egress_tun_port=DEV's port), output(DEV's port).
      The userspace action makes the kernel call DEV's
      ndo_fill_metadata_dst and send the result back as an upcall; the
      output action sends the frame through DEV.  Prints each upcall's
      egress tunnel key as "egress id=... src=... dst=... tp_src=...
      tp_dst=... ttl=...".

  stt-ovs.py listen DEV SECONDS
      Create the datapath with DEV as a port, print "ready", and print the
      tunnel key of the first miss upcall (a frame DEV received) as
      "miss id=... src=... dst=... tp_src=... tp_dst=... ttl=...", or
      exit 1 after SECONDS without one.

The datapath is deleted on exit, which gives DEV back to the stack.
"""

import ipaddress
import os
import select
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_ECHO = 0x1, 0x4, 0x8
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2

OVS_DP_CMD_NEW, OVS_DP_CMD_DEL = 1, 2
OVS_DP_ATTR_NAME, OVS_DP_ATTR_UPCALL_PID = 1, 2
OVS_VPORT_CMD_NEW = 1
OVS_VPORT_ATTR_PORT_NO, OVS_VPORT_ATTR_TYPE = 1, 2
OVS_VPORT_ATTR_NAME, OVS_VPORT_ATTR_UPCALL_PID = 3, 5
OVS_VPORT_TYPE_NETDEV = 1
OVS_PACKET_CMD_MISS, OVS_PACKET_CMD_ACTION, OVS_PACKET_CMD_EXECUTE = 1, 2, 3
OVS_PACKET_ATTR_PACKET, OVS_PACKET_ATTR_KEY = 1, 2
OVS_PACKET_ATTR_ACTIONS, OVS_PACKET_ATTR_EGRESS_TUN_KEY = 3, 5
OVS_KEY_ATTR_IN_PORT, OVS_KEY_ATTR_TUNNEL = 3, 16
OVS_ACTION_ATTR_OUTPUT, OVS_ACTION_ATTR_USERSPACE = 1, 2
OVS_ACTION_ATTR_SET = 3
OVS_USERSPACE_ATTR_PID, OVS_USERSPACE_ATTR_EGRESS_TUN_PORT = 1, 3
# enum ovs_tunnel_key_attr: the ID is attribute 0.
TUN_ID, TUN_IPV4_SRC, TUN_IPV4_DST, TUN_TTL = 0, 1, 2, 4
TUN_TP_SRC, TUN_TP_DST, TUN_IPV6_SRC, TUN_IPV6_DST = 9, 10, 12, 13

DP_NAME = "sttovs"


def nla(atype, payload):
    """One netlink attribute, padded to 4 bytes."""
    n = 4 + len(payload)
    return struct.pack("=HH", n, atype) + payload + b"\0" * (-n % 4)


def nest(atype, *attrs):
    return nla(atype | NLA_F_NESTED, b"".join(attrs))


def u32(atype, v):
    return nla(atype, struct.pack("=I", v))


def parse(buf):
    """Attributes of @buf as {type: payload} (flags stripped)."""
    out, off = {}, 0
    while off + 4 <= len(buf):
        n, t = struct.unpack_from("=HH", buf, off)
        if n < 4:
            break
        out[t & 0x3FFF] = buf[off + 4:off + n]
        off += (n + 3) & ~3
    return out


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.pid = self.sock.getsockname()[0]
        self.seq = int(time.time()) & 0xFFFF
        self.pending = []  # upcalls read while waiting for an ack

    def send(self, family, cmd, hdr, attrs, version=1):
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + hdr + attrs
        msg = struct.pack("=IHHII", 16 + len(body), family,
                          NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO, self.seq,
                          0) + body
        self.sock.send(msg)
        return self.seq

    def messages(self, timeout):
        """(type, seq, payload) of each message that arrives in time."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return []
        data, off, out = self.sock.recv(1 << 20), 0, []
        while off + 16 <= len(data):
            n, t, _, seq, _ = struct.unpack_from("=IHHII", data, off)
            out.append((t, seq, data[off + 16:off + n]))
            off += (n + 3) & ~3
        return out

    def request(self, family, cmd, hdr, attrs, version=1):
        """Send; return the reply (if any) at the ack.  The datapath
        and vport families answer a NEW with a notification, which comes
        to us only with NLM_F_ECHO."""
        seq = self.send(family, cmd, hdr, attrs, version)
        reply = None
        while True:
            msgs = self.messages(10)
            if not msgs:
                raise OSError("no answer from the kernel")
            for t, s, p in msgs:
                if t == NLMSG_ERROR and s == seq:
                    err = struct.unpack_from("=i", p)[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return reply
                if s == seq and t != NLMSG_DONE:
                    reply = p
                else:
                    self.pending.append((t, s, p))

    def family(self, name):
        p = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, b"",
                         nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        return struct.unpack("=H", parse(p[4:])[CTRL_ATTR_FAMILY_ID][:2])[0]


def tunnel_key(buf):
    """The words of a nested ovs_tunnel_key_attr."""
    a, w = parse(buf), []
    if TUN_ID in a:
        w.append("id=%d" % struct.unpack(">Q", a[TUN_ID])[0])
    for src, dst in ((TUN_IPV4_SRC, TUN_IPV4_DST),
                     (TUN_IPV6_SRC, TUN_IPV6_DST)):
        for name, t in (("src", src), ("dst", dst)):
            if t in a:
                w.append("%s=%s" % (name, ipaddress.ip_address(a[t])))
    for name, t in (("tp_src", TUN_TP_SRC), ("tp_dst", TUN_TP_DST)):
        if t in a:
            w.append("%s=%d" % (name, struct.unpack(">H", a[t])[0]))
    if TUN_TTL in a:
        w.append("ttl=%d" % a[TUN_TTL][0])
    return " ".join(w)


class Datapath:
    def __init__(self, dev):
        self.nl = Genl()
        self.fam = {n: self.nl.family("ovs_" + n)
                    for n in ("datapath", "vport", "packet")}
        p = self.nl.request(self.fam["datapath"], OVS_DP_CMD_NEW,
                            struct.pack("=i", 0),
                            nla(OVS_DP_ATTR_NAME, DP_NAME.encode() + b"\0") +
                            u32(OVS_DP_ATTR_UPCALL_PID, self.nl.pid), 2)
        try:
            self.ifindex = struct.unpack_from("=i", p, 4)[0]
            p = self.nl.request(self.fam["vport"], OVS_VPORT_CMD_NEW,
                                struct.pack("=i", self.ifindex),
                                nla(OVS_VPORT_ATTR_NAME,
                                    dev.encode() + b"\0") +
                                u32(OVS_VPORT_ATTR_TYPE,
                                    OVS_VPORT_TYPE_NETDEV) +
                                u32(OVS_VPORT_ATTR_UPCALL_PID, self.nl.pid))
            self.port = struct.unpack(
                "=I", parse(p[8:])[OVS_VPORT_ATTR_PORT_NO])[0]
        except (OSError, TypeError, KeyError):
            self.close()
            raise

    def close(self):
        self.nl.request(self.fam["datapath"], OVS_DP_CMD_DEL,
                        struct.pack("=i", 0),
                        nla(OVS_DP_ATTR_NAME, DP_NAME.encode() + b"\0"), 2)

    def upcalls(self, timeout):
        """(cmd, attrs) of each ovs_packet upcall that arrives in time."""
        end = time.monotonic() + timeout
        while True:
            msgs, self.nl.pending = self.nl.pending, []
            left = end - time.monotonic()
            if not msgs and left > 0:
                msgs = self.nl.messages(left)
            if not msgs:
                return
            for t, _, p in msgs:
                if t == self.fam["packet"]:
                    yield p[0], parse(p[8:])

    def egress(self, key, dst, count):
        addr = ipaddress.ip_address(dst)
        tun = nla(TUN_ID, struct.pack(">Q", key)) + nla(TUN_TTL, b"\x40")
        if addr.version == 4:
            tun += nla(TUN_IPV4_DST, addr.packed)
        else:
            tun += nla(TUN_IPV6_DST, addr.packed)
        actions = (nest(OVS_ACTION_ATTR_SET, nest(OVS_KEY_ATTR_TUNNEL, tun)) +
                   nest(OVS_ACTION_ATTR_USERSPACE,
                        u32(OVS_USERSPACE_ATTR_PID, self.nl.pid),
                        u32(OVS_USERSPACE_ATTR_EGRESS_TUN_PORT, self.port)) +
                   u32(OVS_ACTION_ATTR_OUTPUT, self.port))
        frame = (b"\xff" * 6 + bytes.fromhex("025354000001") +
                 b"\x88\xb5" + b"stt-ovs test frame".ljust(46, b"\0"))
        for _ in range(count):
            self.nl.request(self.fam["packet"], OVS_PACKET_CMD_EXECUTE,
                            struct.pack("=i", self.ifindex),
                            nla(OVS_PACKET_ATTR_PACKET, frame) +
                            nest(OVS_PACKET_ATTR_KEY,
                                 u32(OVS_KEY_ATTR_IN_PORT, 0)) +
                            nest(OVS_PACKET_ATTR_ACTIONS, actions))
        seen = 0
        for cmd, a in self.upcalls(5):
            if cmd != OVS_PACKET_CMD_ACTION:
                continue
            if OVS_PACKET_ATTR_EGRESS_TUN_KEY in a:
                print("egress " + tunnel_key(a[OVS_PACKET_ATTR_EGRESS_TUN_KEY]))
            else:
                print("egress none (ndo_fill_metadata_dst failed)")
            seen += 1
            if seen == count:
                break
        return seen == count

    def listen(self, seconds):
        print("ready", flush=True)
        for cmd, a in self.upcalls(seconds):
            if cmd != OVS_PACKET_CMD_MISS:
                continue
            k = parse(a.get(OVS_PACKET_ATTR_KEY, b""))
            if OVS_KEY_ATTR_TUNNEL in k:
                print("miss " + tunnel_key(k[OVS_KEY_ATTR_TUNNEL]))
            else:
                print("miss without a tunnel key")
            return True
        return False


def main(argv):
    if len(argv) >= 5 and argv[1] == "egress":
        dp = Datapath(argv[2])
        try:
            ok = dp.egress(int(argv[3], 0), argv[4],
                           int(argv[5]) if len(argv) > 5 else 1)
        finally:
            dp.close()
    elif len(argv) == 4 and argv[1] == "listen":
        dp = Datapath(argv[2])
        try:
            ok = dp.listen(float(argv[3]))
        finally:
            dp.close()
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        sys.stderr.write("stt-ovs: %s\n" % e)
        sys.exit(1)
