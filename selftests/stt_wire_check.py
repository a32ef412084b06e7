#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check STT segments decoded by tshark against draft-davie-stt-03.

Reads tshark's "-T fields -E header=y -E separator=/t -E occurrence=f"
output (with -o stt.reassemble:FALSE, so every first segment shows the
STT frame header) for the fields in FIELDS, and checks:

  * every captured TCP segment to the STT port was decoded as STT;
  * outer TCP: data offset 20, source port 49152-65535, the same source
    port and frame length for all segments of a frame, ACK set, PSH on
    the last segment only, no SYN/FIN/RST/URG, window and urgent
    pointer zero;
  * SEQ: seg_off + payload <= pkt_len; the segments of each frame seen
    from offset 0 to its end are contiguous, without gaps or overlaps
    (a gap only counts when the capture dropped nothing);
  * STT header (first segment): version 0, the configured Context ID,
    reserved flag bits 4-7, the reserved byte and the padding zero,
    "checksum verified" and "checksum partial" not both set, frame
    length >= header + Ethernet header;
  * STT flags against the inner frame (first segment; the inner Ethernet
    header, its payload tags and IP header read from the pcap's bytes,
    --pcap, not from tshark): bit 2 (IPv4) set exactly when the EtherType
    behind any payload tags is IPv4, bit 3 (TCP) exactly when the inner
    IPv4 protocol / IPv6 next header (after extension headers) is TCP;
    bit 1 (checksum partial) on every frame whose inner packet is longer
    than --inner-mtu or that carries an MSS (sent as GSO), and an MSS
    only with bit 1; the L4 offset 14 + 4 per payload tag + the inner IP
    header length (IPv6: with its extension headers) on a checksum
    partial frame, and 0 otherwise (the deliberate deviation in the
    docs/conformance.md's table, §3.1 row "L4 offset": the module writes it only with
    checksum partial); a non-IP frame: flags, L4 offset and MSS all 0;
  * outer TCP ECE, CWR, NS and the reserved bits zero;
  * IPv4 or IPv6 underlay (from the captured EtherType): on IPv6 the
    payload length comes from ipv6.plen, and every check above (SEQ,
    ACK, PSH, window, urgent pointer, data offset, reserved bits) holds
    the same;
  * packet sizes: captured length == 14 + IP total length (IPv6: 14 + 40
    + payload length); with --mtu, no IP packet above the underlay MTU;
  * with --check-csum, the outer TCP checksum of every segment, computed
    here from the capture's bytes with the IPv4 or IPv6 pseudo-header
    (only meaningful where the sender computed it: tx checksum offload
    off; tshark 4.0's own stt.check_checksum reports every correct
    checksum as bad, "should be 0x0000").

Prints a summary; exits 1 and lists the first problems if any check
fails.
"""

import argparse
import collections
import re
import struct
import sys

FIELDS = [
    "frame.number", "frame.len", "ip.src", "ip.dst", "ip.len", "ip.hdr_len",
    "stt.stream_id", "stt.dport", "stt.pkt_len", "stt.seg_off", "stt.pkt_id",
    "stt.tcp.data_offset", "stt.tcp.flags", "stt.version", "stt.flags",
    "stt.l4offset", "stt.mss", "stt.context_id", "stt.tcp.window",
    "stt.tcp.urg_ptr", "stt.reserved", "stt.padding",
    "ipv6.src", "ipv6.dst", "ipv6.plen",
]

SHOW_FIELDS = ["frame.number", "ip.src", "ip.dst", "ip.len", "stt.stream_id",
               "stt.pkt_len", "stt.seg_off", "stt.pkt_id", "stt.tcp.flags",
               "stt.version", "stt.flags", "stt.l4offset", "stt.mss",
               "stt.context_id"]
SHOW_HDR = ("frame", "src", "dst", "ip.len", "sport", "pkt_len", "seg_off",
            "pkt_id(ack)", "tcpflags", "ver", "flags", "l4off", "mss",
            "context_id")
SHOW_FMT = ("%-6s %-10s %-10s %6s %-7s %7s %7s %-11s %-8s %3s %-5s %5s %5s "
            "%s")

STT_HDR_LEN = 18
ETH_HLEN = 14
TCP_ACK, TCP_PSH, TCP_BAD = 0x10, 0x08, 0x27  # BAD: URG|RST|SYN|FIN
TCP_ECN_NS, TCP_RSVD = 0x1C0, 0xE00  # ECE|CWR|NS; the 3 reserved bits
FLAG_VERIFIED, FLAG_PARTIAL, FLAG_RSVD = 0x01, 0x02, 0xF0
FLAG_IPV4, FLAG_TCP = 0x04, 0x08
IPV6_EXT = {0: "hbh", 43: "rt", 60: "dst", 44: "frag", 51: "ah"}


def inet_csum(data):
    """The Internet checksum folded, 0 over data holding a right one."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def outer_tcp_csum_ok(pkt):
    """True/False: the outer TCP checksum of an Ethernet/IP/TCP packet is
    right; None if the packet is not all in the capture."""
    et = pkt[12:14]
    if et == b"\x08\x00":
        ihl = (pkt[14] & 0x0F) * 4
        tot = struct.unpack(">H", pkt[16:18])[0]
        if len(pkt) < 14 + tot:
            return None
        tcp = pkt[14 + ihl:14 + tot]
        ph = pkt[26:34] + struct.pack(">BBH", 0, 6, len(tcp))
    elif et == b"\x86\xdd":
        plen = struct.unpack(">H", pkt[18:20])[0]
        if len(pkt) < 54 + plen:
            return None
        tcp = pkt[54:54 + plen]
        ph = pkt[22:54] + struct.pack(">IxxxB", len(tcp), 6)
    else:
        return None
    return inet_csum(ph + tcp) == 0


def read_pcap(path):
    """{frame number: bytes} of a classic pcap of Ethernet frames."""
    d = open(path, "rb").read()
    if len(d) < 24:
        return {}
    magic = d[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit("%s: not a pcap file (pcapng?)" % path)
    if struct.unpack(e + "I", d[20:24])[0] != 1:
        raise SystemExit("%s: not an Ethernet capture" % path)
    pkts, off, n = {}, 24, 0
    while off + 16 <= len(d):
        incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        n += 1
        pkts[n] = d[off + 16:off + 16 + incl]
        off += 16 + incl
    return pkts


def inner_of(pkt):
    """The inner frame behind a first segment's STT header: (outer family,
    EtherType behind the payload tags, payload tags, IP header length
    with extension headers, L4 protocol, inner length), None where
    unknown, or None if the headers are not all in the capture."""
    if len(pkt) < 14:
        return None
    et = struct.unpack(">H", pkt[12:14])[0]
    if et == 0x0800:
        fam, tcp = 4, 14 + (pkt[14] & 0x0F) * 4
    elif et == 0x86DD:
        fam, tcp = 6, 14 + 40
    else:
        return None
    if len(pkt) < tcp + 20:
        return None
    stt = tcp + (pkt[tcp + 12] >> 4) * 4
    eth = stt + STT_HDR_LEN
    if len(pkt) < eth + ETH_HLEN:
        return None
    l3 = eth + 12
    tags = 0
    while pkt[l3:l3 + 2] in (b"\x81\x00", b"\x88\xa8") and tags < 8:
        l3 += 4
        tags += 1
    etype = struct.unpack(">H", pkt[l3:l3 + 2])[0]
    ip = l3 + 2
    iphl = proto = None
    if etype == 0x0800 and len(pkt) >= ip + 20:
        iphl, proto = (pkt[ip] & 0x0F) * 4, pkt[ip + 9]
    elif etype == 0x86DD and len(pkt) >= ip + 40:
        iphl, proto = 40, pkt[ip + 6]
        while proto in IPV6_EXT and len(pkt) >= ip + iphl + 8:
            h = pkt[ip + iphl:]
            proto, iphl = h[0], iphl + (8 if IPV6_EXT[proto] == "frag" else
                                        (h[1] + 2) * 4 if IPV6_EXT[proto] == "ah"
                                        else (h[1] + 1) * 8)
        if proto in IPV6_EXT:
            iphl = proto = None
    return fam, etype, tags, iphl, proto


def num(s):
    return int(s, 0) if s else None


def show(rows, fnos):
    print(SHOW_FMT % SHOW_HDR)
    for fno in fnos:
        r = dict(rows[fno])
        if r.get("stt.stream_id"):
            r["stt.stream_id"] = str(int(r["stt.stream_id"], 0))
        print(SHOW_FMT % tuple(r.get(f) or "-" for f in SHOW_FIELDS))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fields", action="store_true",
                    help="print the tshark -e arguments to use, and exit")
    ap.add_argument("--key", help="expected Context ID")
    ap.add_argument("--port", type=int, default=7471)
    ap.add_argument("--mtu", type=int, default=0,
                    help="largest IP packet allowed (0: no limit)")
    ap.add_argument("--drops", type=int, default=0,
                    help="packets the capture dropped")
    ap.add_argument("--min-segments", type=int, default=50)
    ap.add_argument("--min-frames", type=int, default=3,
                    help="complete multi-segment frames required")
    ap.add_argument("--whole", action="store_true",
                    help="TSO capture: every frame must be in one packet")
    ap.add_argument("--min-big", type=int, default=0,
                    help="packets larger than 1500 bytes required (TSO)")
    ap.add_argument("--pcap",
                    help="the capture tshark decoded: the outer family and "
                    "the inner headers are read from its bytes")
    ap.add_argument("--inner-mtu", type=int, default=1500,
                    help="MTU of the sending STT devices: a longer inner "
                    "packet must be checksum partial (GSO)")
    ap.add_argument("--check-csum", action="store_true",
                    help="verify every segment's outer TCP checksum (the "
                    "sender must have computed them: tx offload off)")
    ap.add_argument("--show", type=int, default=0,
                    help="print the first N segments, one line each")
    args = ap.parse_args()
    if args.fields:
        print(" ".join("-e " + f for f in FIELDS))
        return 0
    if not args.key or not args.pcap:
        ap.error("--key and --pcap are required")
    key = int(args.key, 0)

    lines = sys.stdin.read().splitlines()
    if not lines or lines[0].split("\t") != FIELDS:
        print("unexpected tshark header: %r" % (lines[:1],))
        return 1

    errors = []
    pkts = read_pcap(args.pcap)
    inner = collections.Counter()
    csum = collections.Counter()
    fams = collections.Counter()

    def err(frame, msg):
        errors.append("frame %s: %s" % (frame, msg))

    def check_inner(fno, r, fl, raw, pkt_len):
        """The flags, L4 offset and MSS against the inner frame."""
        inn = inner_of(raw)
        if inn is None or fl is None:
            err(fno, "inner frame not in the capture (snaplen?)")
            return
        _, etype, tags, iphl, proto = inn
        l4off, mss = num(r["stt.l4offset"]), num(r["stt.mss"])
        ip4, ip6 = etype == 0x0800, etype == 0x86DD
        if not (ip4 or ip6):
            inner["non-IP 0x%04x" % etype] += 1
            if fl & 0x0F or l4off or mss:
                err(fno, "non-IP inner frame (0x%04x) with flags 0x%02x, "
                    "L4 offset %d, MSS %d (must all be 0)"
                    % (etype, fl, l4off, mss))
            return
        if iphl is None:
            err(fno, "inner IP header not in the capture")
            return
        tcp = proto == 6
        inner["%s/%s%s%s" % ("IPv4" if ip4 else "IPv6",
                             {6: "TCP", 17: "UDP", 1: "ICMP",
                              58: "ICMPv6"}.get(proto, str(proto)),
                             " tags %d" % tags if tags else "",
                             " partial" if fl & FLAG_PARTIAL else "")] += 1
        if bool(fl & FLAG_IPV4) != ip4:
            err(fno, "IPv4 flag %s on an inner %s frame (flags 0x%02x)"
                % ("set" if fl & FLAG_IPV4 else "clear",
                   "IPv4" if ip4 else "IPv6", fl))
        if bool(fl & FLAG_TCP) != tcp:
            err(fno, "TCP flag %s on an inner %s frame, protocol %d "
                "(flags 0x%02x)" % ("set" if fl & FLAG_TCP else "clear",
                                     "IPv4" if ip4 else "IPv6", proto, fl))
        inner_len = pkt_len - STT_HDR_LEN - ETH_HLEN - 4 * tags
        if (inner_len > args.inner_mtu or mss) and not fl & FLAG_PARTIAL:
            err(fno, "inner packet of %d bytes (MTU %d), MSS %d, without "
                "checksum partial (flags 0x%02x)"
                % (inner_len, args.inner_mtu, mss, fl))
        want = ETH_HLEN + 4 * tags + iphl if fl & FLAG_PARTIAL else 0
        if l4off != want:
            err(fno, "L4 offset %d, expected %d (%s, %d payload tags, IP "
                "header %d)" % (l4off, want, "checksum partial"
                                if fl & FLAG_PARTIAL else "not partial",
                                tags, iphl))

    frames = collections.defaultdict(list)
    nseg = nhdr = nbig = 0
    sports = set()
    flagset = collections.Counter()
    rows = {}
    for line in lines[1:]:
        r = dict(zip(FIELDS, line.split("\t")))
        fno = r["frame.number"]
        rows[fno] = r
        if not r.get("stt.pkt_len"):
            err(fno, "not decoded as STT")
            continue
        nseg += 1
        sport, dport = num(r["stt.stream_id"]), num(r["stt.dport"])
        pkt_len, off = num(r["stt.pkt_len"]), num(r["stt.seg_off"])
        pkt_id, doff = num(r["stt.pkt_id"]), num(r["stt.tcp.data_offset"])
        tflags = num(r["stt.tcp.flags"])
        raw = pkts.get(int(fno), b"")
        fam = 6 if raw[12:14] == b"\x86\xdd" else 4
        fams[fam] += 1
        if fam == 6:
            # Outer IPv6 (first occurrence: the outer header comes first).
            ip_len, ip_hl = num(r["ipv6.plen"]) + 40, 40
            r["ip.src"], r["ip.dst"] = r["ipv6.src"], r["ipv6.dst"]
            r["ip.len"] = str(ip_len)
        else:
            ip_len, ip_hl = num(r["ip.len"]), num(r["ip.hdr_len"])
        payload = ip_len - ip_hl - doff
        sports.add(sport)

        if args.check_csum:
            ok = outer_tcp_csum_ok(raw)
            csum[{True: "good", False: "bad", None: "unchecked"}[ok]] += 1
            if not ok:
                err(fno, "outer TCP checksum %s" % ("wrong" if ok is False
                                                    else "not checked"))
        if dport != args.port:
            err(fno, "dst port %d" % dport)
        if doff != 20:
            err(fno, "TCP data offset %d, not 20" % doff)
        if not 49152 <= sport <= 65535:
            err(fno, "source port %d outside 49152-65535" % sport)
        if num(r["frame.len"]) != ETH_HLEN + ip_len:
            err(fno, "captured %s bytes, IP total length %d"
                % (r["frame.len"], ip_len))
        if ip_len > 1500:
            nbig += 1
        if args.mtu and ip_len > args.mtu:
            err(fno, "IP packet of %d bytes over MTU %d" % (ip_len, args.mtu))
        if payload <= 0:
            err(fno, "no payload")
        if off + payload > pkt_len:
            err(fno, "seg_off %d + payload %d > pkt_len %d"
                % (off, payload, pkt_len))
        if pkt_len < STT_HDR_LEN + ETH_HLEN:
            err(fno, "pkt_len %d shorter than STT + Ethernet headers" % pkt_len)
        if not tflags & TCP_ACK:
            err(fno, "TCP ACK flag not set (flags 0x%x)" % tflags)
        if tflags & TCP_BAD:
            err(fno, "TCP SYN/FIN/RST/URG set (flags 0x%x)" % tflags)
        if tflags & TCP_ECN_NS:
            err(fno, "TCP ECE/CWR/NS set (flags 0x%x)" % tflags)
        if tflags & TCP_RSVD:
            err(fno, "TCP reserved bits set (flags 0x%x)" % tflags)
        if num(r["stt.tcp.window"]) or num(r["stt.tcp.urg_ptr"]):
            err(fno, "TCP window %s, urgent pointer %s (not zero)"
                % (r["stt.tcp.window"], r["stt.tcp.urg_ptr"]))
        last = off + payload == pkt_len
        if last != bool(tflags & TCP_PSH):
            err(fno, "PSH %s on a %s segment (off %d, len %d, pkt_len %d)"
                % ("set" if tflags & TCP_PSH else "clear",
                   "last" if last else "non-last", off, payload, pkt_len))
        if args.whole and (off != 0 or payload != pkt_len):
            err(fno, "TSO capture but only part of the frame (off %d, len %d,"
                " pkt_len %d)" % (off, payload, pkt_len))

        if off == 0:
            nhdr += 1
            ver, fl = num(r["stt.version"]), num(r["stt.flags"])
            ctx = num(r["stt.context_id"])
            flagset["0x%02x" % (fl or 0)] += 1
            if ver != 0:
                err(fno, "STT version %s" % ver)
            if ctx != key:
                err(fno, "Context ID %s, expected 0x%016x"
                    % (r["stt.context_id"], key))
            if fl is not None and fl & FLAG_RSVD:
                err(fno, "reserved STT flag bits set (0x%02x)" % fl)
            if num(r["stt.reserved"]) or num(r["stt.padding"]):
                err(fno, "STT reserved byte %s, padding %s (not zero)"
                    % (r["stt.reserved"], r["stt.padding"]))
            if fl is not None and fl & FLAG_VERIFIED and fl & FLAG_PARTIAL:
                err(fno, "checksum verified and partial both set (0x%02x)" % fl)
            check_inner(fno, r, fl, raw, pkt_len)

        fkey = (r["ip.src"], r["ip.dst"], pkt_id)
        frames[fkey].append((off, payload, pkt_len, sport, fno))

    complete = multi = gaps = 0
    example = []
    for (src, dst, pkt_id), segs in frames.items():
        segs.sort()
        first = segs[0][4]
        if len({s[2] for s in segs}) != 1:
            err(first, "frame 0x%x %s->%s: pkt_len differs between segments"
                % (pkt_id, src, dst))
        if len({s[3] for s in segs}) != 1:
            err(first, "frame 0x%x %s->%s: source port differs between "
                "segments" % (pkt_id, src, dst))
        pkt_len = segs[0][2]
        has_head = segs[0][0] == 0
        has_tail = any(o + p == pkt_len for o, p, _, _, _ in segs)
        pos = segs[0][0]
        ok = True
        for o, p, _, _, fno in segs:
            if o < pos:
                err(fno, "frame 0x%x: segment at %d overlaps the previous one"
                    " (or the frame id was reused)" % (pkt_id, o))
                ok = False
            elif o > pos:
                ok = False
                if has_head and has_tail:
                    gaps += 1
                    if args.drops == 0:
                        err(fno, "frame 0x%x: gap %d..%d between segments"
                            % (pkt_id, pos, o))
            pos = max(pos, o + p)
        if has_head and has_tail and ok and pos == pkt_len:
            complete += 1
            if len(segs) > 1:
                multi += 1
                if not example and len(segs) > 2:
                    example = [s[4] for s in segs]

    if args.show:
        show(rows, list(rows)[:args.show])
        if example:
            print("a frame of %d segments:" % len(example))
            show(rows, example[:4] + example[-1:] if len(example) > 5
                 else example)

    print("STT segments: %d, frames: %d (%d complete, %d of them in more than "
          "one segment), frame headers checked: %d, source ports: %d, "
          "frames with gaps: %d, capture drops: %d, packets over 1500 "
          "bytes: %d, STT flags seen: %s; underlay: %s; inner frames: %s"
          % (nseg, len(frames), complete, multi, nhdr, len(sports), gaps,
             args.drops, nbig,
             ", ".join("%s x%d" % kv for kv in sorted(flagset.items())),
             ", ".join("IPv%d x%d" % kv for kv in sorted(fams.items())),
             ", ".join("%s x%d" % kv for kv in sorted(inner.items()))))
    if args.check_csum:
        print("outer TCP checksums: %d good, %d bad, %d unchecked"
              % (csum["good"], csum["bad"], csum["unchecked"]))
    if nseg < args.min_segments:
        errors.append("only %d STT segments captured (want >= %d)"
                      % (nseg, args.min_segments))
    want_multi = 0 if args.whole else args.min_frames
    if multi < want_multi:
        errors.append("only %d complete multi-segment frames (want >= %d)"
                      % (multi, want_multi))
    if nbig < args.min_big:
        errors.append("only %d packets over 1500 bytes (want >= %d)"
                      % (nbig, args.min_big))
    if args.whole and complete < args.min_frames:
        errors.append("only %d complete frames (want >= %d)"
                      % (complete, args.min_frames))
    if errors:
        # One example of each kind of problem first, then a count.
        kinds = collections.OrderedDict()
        for e in errors:
            kind = re.sub(r"0x[0-9a-f]+|\d+", "N", e.split(": ", 1)[-1])
            kinds.setdefault(kind, []).append(e)
        print("%d problems of %d kinds:" % (len(errors), len(kinds)))
        for examples in kinds.values():
            print("  %s   (x%d)" % (examples[0], len(examples)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
