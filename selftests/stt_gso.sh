#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The receiver rebuilds a frame's offload state from its header
# (draft-davie-stt-03 §2.2, §3.1): "checksum partial" + MSS make the inner
# frame a TCP GSO skb again, so
#   - B's own TCP takes an STT frame as one large segment (B's Tcp InSegs
#     counts skbs: far fewer than MSS-sized segments), and rx_gso_frames
#     counts the frames rebuilt that way;
#   - a frame B forwards onward is re-segmented at the MSS the header
#     carried, not at anything B decides.
#
#   A 10.0.0.1 (stt0) ==STT over veth (TSO on)== stt0 10.0.0.2 B
#                                                 fwd 10.0.9.1 (TSO off)
#                                                  |
#                                          C 10.0.9.2 fwd
#
# C announces MSS 1200 to A (advmss on its route), so A's TCP uses an MSS
# of its own (1200 minus options) that is neither the MTU's 1448 nor
# anything B could know.  The first segment of each frame on B's underlay
# shows the header's MSS (a capture); every TCP segment B sends to C must
# carry at most that MSS, nearly all exactly that, and B must send C at
# least 4 segments per frame it received.  C receives the file with the
# right sha256.

source "$(dirname "$0")/lib.sh"

MIB=${STT_GSO_MIB:-8}
IN_IP_C=10.0.9.2
ADVMSS=1200

ktap_header
stt_require ethtool ping timeout sha256sum dumpcap
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
[ -x "$STT_PY" ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 6

topo()
{
	stt_topo_setup || return 1
	setup_ns NS_C || return 1
	stt_try ip link add fwd netns "$NS_B" type veth peer name fwd \
		netns "$NS_C" || return 1
	stt_try ip -n "$NS_B" -batch - <<-EOF || return 1
		addr add 10.0.9.1/24 dev fwd
		link set fwd up
	EOF
	stt_try ip -n "$NS_C" -batch - <<-EOF || return 1
		addr add $IN_IP_C/24 dev fwd
		link set fwd up
		route add 10.0.0.0/24 via 10.0.9.1 advmss $ADVMSS
	EOF
	stt_try ip -n "$NS_A" route add 10.0.9.0/24 via "$IN_IP_B" || return 1
	# A's TCP sends frames of 40 segments or more however slow the
	# kernel: TSO autosizing makes a GSO skb about 1 ms of the pacing
	# rate, which on the debug kernel under TCG was 2 segments, leaving
	# B nothing to take whole or to re-segment.
	stt_try nsx "$NS_A" sysctl -qw net.ipv4.tcp_min_tso_segs=40 || return 1
	stt_try nsx "$NS_B" sysctl -qw net.ipv4.ip_forward=1 || return 1
	# B segments what it forwards in software (GSO), at the skb's
	# gso_size; C merges nothing.
	stt_try nsx "$NS_B" ethtool -K fwd tso off || return 1
	stt_try nsx "$NS_C" ethtool -K fwd gro off || return 1
	stt_ping "$NS_A" "$IN_IP_C" 2
}
if topo; then
	ktap_pass "topology: A =STT= B -- C, B forwards, C announces MSS $ADVMSS"
else
	ktap_fail "topology: A =STT= B -- C, B forwards, C announces MSS $ADVMSS"
	ktap_bail "cannot build the topology"
fi

stt_make_file "$TMP/data" "$MIB"

tcp_in_segs()
{
	nsx "$1" awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Tcp:" { print $c["InSegs"] }' /proc/net/snmp
}

# 1. B's own TCP.
to_b()
{
	local s0 s1 b0=$TMP/b0 b1=$TMP/b1 segs gso frames min

	stt_snap "$NS_B" "$TUN" "$b0"
	s0=$(tcp_in_segs "$NS_B")
	stt_xfer_noted "$NS_B" "$IN_IP_B" "$NS_A" "$TMP/data" 5310 || return 1
	s1=$(tcp_in_segs "$NS_B")
	stt_snap "$NS_B" "$TUN" "$b1"
	segs=$((s1 - s0))
	gso=$(stt_delta "$b0" "$b1" rx_gso_frames)
	frames=$(stt_delta "$b0" "$b1" rx_frames)
	# MSS-sized segments the data alone would have been.
	min=$(((MIB << 20) / 1448))
	ktap_info "B: Tcp InSegs +$segs for $MIB MiB ($min segments of 1448 bytes);" \
		"stt0 rx_frames +$frames, rx_gso_frames +${gso:-missing}"
	[ -n "$gso" ] && [ "$gso" -gt 0 ] && [ "$gso" -le "$frames" ] &&
		[ $((segs * 4)) -lt "$min" ]
}
ktap_result "A -> B, $MIB MiB: B's TCP takes frames as GSO skbs (InSegs < 1/4 of the MSS-sized segments, rx_gso_frames > 0)" \
	to_b

# 2. Forwarded to C.  Captures: A's frames on B's underlay (the first
# segment of a frame holds the STT header) and what B sends to C.
stt_cap_start "$NS_B" "$UL_B" "$TMP/ul.pcap" \
	"tcp dst port $STT_PORT and src host $UL_IP_A" 60 120
ul_cap=$?
ul_pid=$STT_CAP_PID
stt_cap_start "$NS_B" fwd "$TMP/fwd.pcap" "tcp and src host $IN_IP_A and greater 200" \
	100000 120
fwd_cap=$?
stt_snap "$NS_B" "$TUN" "$TMP/f0"
ktap_result "A -> C through B, $MIB MiB: arrives with the right sha256" \
	stt_xfer_noted "$NS_C" "$IN_IP_C" "$NS_A" "$TMP/data" 5311
stt_snap "$NS_B" "$TUN" "$TMP/f1"
stt_cap_stop
# The first capture (it may have ended by itself, after 60 frames).
kill -TERM "$ul_pid" 2>/dev/null
wait "$ul_pid" 2>/dev/null

# "MSS SEGMENTS AT_MSS OVER MAX": the MSS field of A's frames (the most
# common non-zero one) and the TCP payload sizes B forwarded to C.
sizes()
{
	stt_python - "$TMP/ul.pcap" "$TMP/fwd.pcap" <<'PY'
import collections, struct, sys

def packets(path):
    d = open(path, "rb").read()
    if len(d) < 24:
        return
    e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(d):
        incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        p = d[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(p) >= 54 and p[12:14] == b"\x08\x00" and p[23] == 6:
            ihl = (p[14] & 15) * 4
            tot = struct.unpack(">H", p[16:18])[0]
            th = p[14 + ihl:]
            doff = (th[12] >> 4) * 4
            yield th, doff, tot - ihl - doff

mss = collections.Counter()
for th, doff, plen in packets(sys.argv[1]):
    seq = struct.unpack(">I", th[4:8])[0]
    stt = th[doff:doff + 18]
    # The frame's first segment (offset 0) with "checksum partial".
    if seq & 0xffff == 0 and len(stt) == 18 and stt[1] & 2:
        m = struct.unpack(">H", stt[4:6])[0]
        if m:
            mss[m] += 1
m = mss.most_common(1)[0][0] if mss else 0
n = at = over = top = 0
for th, doff, plen in packets(sys.argv[2]):
    if plen <= 0:
        continue
    n += 1
    at += plen == m
    over += plen > m
    top = max(top, plen)
print(m, n, at, over, top, " ".join("%d:%d" % kv for kv in sorted(mss.items())))
PY
}

resegmented()
{
	local mss n at over top all gso frames

	[ "$ul_cap" = 0 ] && [ "$fwd_cap" = 0 ] || return 1
	read -r mss n at over top all < <(sizes)
	gso=$(stt_delta "$TMP/f0" "$TMP/f1" rx_gso_frames)
	frames=$(stt_delta "$TMP/f0" "$TMP/f1" rx_frames)
	ktap_info "header MSS of A's frames (value:frames): ${all:-none};" \
		"B forwarded $n data segments to C: $at of ${mss:-?} bytes, $over larger, largest $top;" \
		"B's stt0 rx_frames +$frames, rx_gso_frames +$gso"
	# Large frames in (at least 4 segments out per frame in), cut at
	# the header's MSS.  Without the GSO restore B cannot forward a
	# frame larger than fwd's MTU: A's TCP then learns a path MTU of
	# 1500 from B's "fragmentation needed" and sends one MSS per frame.
	[ -n "$mss" ] && [ "$mss" -gt 0 ] && [ "$mss" -le "$ADVMSS" ] &&
		[ "$over" = 0 ] && [ "$n" -gt 0 ] && [ $((at * 10)) -ge $((n * 9)) ] &&
		[ "$n" -ge $((4 * frames)) ] && [ "${gso:-0}" -gt 0 ]
}
ktap_result "B forwards large frames re-segmented at the header's MSS (<= $ADVMSS, C's advmss): none larger, >= 90% exactly that, >= 4 per frame" \
	resegmented

ktap_result "segment identity holds in B" stt_check_identity "$NS_B"

check_dmesg
ktap_finished
