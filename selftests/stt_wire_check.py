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
  * packet sizes: captured length == 14 + IP total length; with --mtu,
    no IP packet above the underlay MTU.

Prints a summary; exits 1 and lists the first problems if any check
fails.
"""

import argparse
import collections
import re
import sys

FIELDS = [
    "frame.number", "frame.len", "ip.src", "ip.dst", "ip.len", "ip.hdr_len",
    "stt.stream_id", "stt.dport", "stt.pkt_len", "stt.seg_off", "stt.pkt_id",
    "stt.tcp.data_offset", "stt.tcp.flags", "stt.version", "stt.flags",
    "stt.l4offset", "stt.mss", "stt.context_id", "stt.tcp.window",
    "stt.tcp.urg_ptr", "stt.reserved", "stt.padding",
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
FLAG_VERIFIED, FLAG_PARTIAL, FLAG_RSVD = 0x01, 0x02, 0xF0


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
    ap.add_argument("--show", type=int, default=0,
                    help="print the first N segments, one line each")
    args = ap.parse_args()
    if args.fields:
        print(" ".join("-e " + f for f in FIELDS))
        return 0
    if not args.key:
        ap.error("--key is required")
    key = int(args.key, 0)

    lines = sys.stdin.read().splitlines()
    if not lines or lines[0].split("\t") != FIELDS:
        print("unexpected tshark header: %r" % (lines[:1],))
        return 1

    errors = []

    def err(frame, msg):
        errors.append("frame %s: %s" % (frame, msg))

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
        ip_len, ip_hl = num(r["ip.len"]), num(r["ip.hdr_len"])
        payload = ip_len - ip_hl - doff
        sports.add(sport)

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
          "bytes: %d, STT flags seen: %s"
          % (nseg, len(frames), complete, multi, nhdr, len(sports), gaps,
             args.drops, nbig,
             ", ".join("%s x%d" % kv for kv in sorted(flagset.items()))))
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
