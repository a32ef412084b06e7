#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hand-made segments (tools/stt-craft over a raw socket in A) against B's
# receive path, one malformed class at a time, while sha256-checked TCP
# TCP stream runs over the tunnel A -> B alongside.
#
# Crafted frames carry the key of a second device in B, stt1 (key K2),
# so its ethtool counters see nothing but crafted frames and can be
# checked exactly while the legitimate traffic uses stt0.  For each
# class, N crafted packets must move exactly the expected counters by the
# expected amount (units: drop counters count segments, frame counters
# frames) and no other error counter:
#
#   class        expected
#   trunc_tcp    rx_truncated +N
#   bad_doff     rx_bad_doff +2N (data offset 4; 15 in a 40-byte segment)
#   version      rx_bad_version +N
#   short_frame  rx_short_frame +N
#   zero_len     rx_zero_len +N
#   overrun      rx_seg_overrun +N
#   bad_csum     rx_csum_errors +N
#   l4_beyond    stt1 rx_bad_l4_offset +N, no frame delivered
#   ipv4_flag    stt1 rx_bad_offload +N (IPv4 flag on an IPv6 frame)
#   partial_nonip stt1 rx_frames +N: §3.1.1, the IP fields of a non-IP
#                frame are ignored, not judged
#   tcp_gso MSS 1 stt1 rx_bad_offload +N (an MSS under TCP_MIN_GSO_SIZE)
#   len_change   reasm_len_mismatch +N, reasm_dropped_segs +2N
#   overlap      reasm_overlaps +N, reasm_dropped_segs +2N
#   duplicate    reasm_duplicates +N and the frames still delivered:
#                stt1 rx_frames +N (reassembled), rx_skbs +3N
#   wrong key    rx_no_device +3N (3-segment frames)
#   good         stt1 rx_frames +N, rx_reasm_frames +N, rx_skbs +3N
#   reverse      the same, segments sent last first
#   last_first   the same, the last segment first, then the others
#   big          65,495-byte frames in 46 segments of 1448 bytes: rx_frames
#                +N, rx_reasm_frames +N, rx_skbs +46N; "big reverse"
#                the same, segments last first
#   reuse        65,495-byte frames, each ID sent again right after its
#                frame completed: rx_frames +2N, rx_skbs +92N, no
#                reasm_duplicates
#   tcp_options  the same, with 12 bytes of TCP options on every
#                segment (§3.2: the data offset keeps its meaning)
#   good, 1 seg  stt1 rx_frames +N, rx_fastpath_frames +N, rx_skbs +N
#   ignored      like good, with every field the draft says a receiver
#                ignores set: STT flag bits 4-7, reserved byte, padding,
#                TCP flags SYN FIN RST URG ECE CWR, reserved bits,
#                window, urgent pointer
#   udp_csum     inner IPv4 UDP to B with a wrong checksum: with "checksum
#                verified" UDP trusts it (Udp NoPorts +N, no InCsumErrors);
#                without, UDP finds the error (InCsumErrors +N)
#   ecn          inner IPv4 frames, RFC 6040: CE on any one segment marks
#                the inner packet CE (read back by tshark on stt1); outer
#                CE over an inner Not-ECT drops the frame: rx_ecn_drops
#                +3N (segments), rx_frame_errors +N
#
# Then, with the transfers over: one frame's segments sent from one CPU
# (delivered) and split over CPU 0 and CPU 1 (never delivered, two
# partial frames time out: reasm_timeouts +2, bytes back to 0).  The
# stream must arrive intact, the segment identity must hold in B, and
# dmesg must stay clean.

source "$(dirname "$0")/lib.sh"

N=${STT_CRAFT_N:-50}
K2=0x2222333344445555
K3=0x0bad0bad0bad0bad
LEGIT_MBIT=${STT_LEGIT_MBIT:-10}
# Below STT's 49152-65535: no (sport, frame ID) can match a frame of the
# legitimate traffic.
SPORT=40001

ktap_header
stt_require ethtool ss timeout sha256sum taskset dumpcap
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
[ -x "$STT_PY" ] || ktap_skip_all "python3 missing"
stt_require_craft
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 51

topo()
{
	stt_topo_setup || return 1
	# Legitimate frames are cut into segments and reassembled in B, so
	# crafted segments share the table with them.
	stt_try nsx "$NS_A" ethtool -K "$UL_A" tso off || return 1
	stt_try nsx "$NS_B" ethtool -K "$UL_B" tso off gro off || return 1
	stt_try ip -n "$NS_B" link add stt1 type stt remote "$UL_IP_A" \
		local "$UL_IP_B" key "$K2" dstport "$STT_PORT" || return 1
	stt_try ip -n "$NS_B" link set stt1 up
}
if topo; then
	ktap_pass "topology: two netns, $TUN in each, stt1 (key $K2) in B"
else
	ktap_fail "topology: two netns, $TUN in each, stt1 (key $K2) in B"
	ktap_bail "cannot build the topology"
fi

# Legitimate traffic: a sha256-checked TCP stream A -> B, paced so that
# the VM keeps CPU for the rest, until the crafted classes are done.
stt_stream_start "$NS_B" "$IN_IP_B" "$NS_A" "$LEGIT_MBIT" ||
	ktap_info "the legitimate stream did not start"
stt_sleep 1

# Counters of B's stt1 and netns.
snap() { stt_snap "$NS_B" stt1 "$1"; }

# Error and drop counters: each must stay put unless a class expects it.
WATCH="$STT_ERROR_COUNTERS proc.rx_no_device proc.rx_nomem
proc.reasm_duplicates proc.reasm_mem_drops rx_frames rx_skbs link.rx_errors"

# reached BEFORE NAME N: counter NAME has moved by N or more since BEFORE.
reached()
{
	snap "$TMP/now"
	[ "$(stt_delta "$1" "$TMP/now" "$2")" -ge "$3" ] 2>/dev/null
}

# craft_case DESC "counter=delta ..." [stt-craft args]: send, then check.
craft_case()
{
	local desc=$1 expect=$2 before=$TMP/c0 after=$TMP/c1 e name want got
	local bad=0 out dto dseg seen=" " t0=$SECONDS

	shift 2
	snap "$before"
	# Pinned: veth hands a segment to the backlog of the CPU that sent
	# it, so a sender that migrates between two segments of a frame
	# splits it over two CPUs' tables, and it times out (see the split
	# frame check below) instead of being counted where expected.
	if ! out=$(nsx "$NS_A" taskset -c 0 "$STT_CRAFT" -s "$UL_IP_A" -d "$UL_IP_B" \
		-P "$SPORT" "$@" 2>&1); then
		ktap_info "stt-craft $*: $out"
		ktap_fail "$desc"
		return
	fi
	# Wait for the first expected counter to get there (softirq is quick,
	# but not necessarily done when sendto() returns).
	name=${expect%%=*}
	want=${expect#*=}
	want=${want%% *}
	stt_wait_for 15 reached "$before" "$name" "$want"
	stt_sleep 0.2
	snap "$after"
	for e in $expect; do
		name=${e%%=*}
		want=${e#*=}
		seen+="$name "
		got=$(stt_delta "$before" "$after" "$name")
		if [ "$got" != "$want" ]; then
			ktap_info "$desc: $name +${got:-missing}, expected +$want"
			bad=1
		fi
	done
	for name in $WATCH; do
		[[ $seen == *" $name "* ]] && continue
		got=$(stt_delta "$before" "$after" "$name")
		# stt1 sees crafted frames only; the netns counters above stay
		# at 0 under clean legitimate traffic.
		if [ "$got" != 0 ]; then
			ktap_info "$desc: $name +${got:-missing}, expected +0"
			bad=1
		fi
	done
	# Killed frames' segments: exact unless frames of the legitimate
	# traffic timed out or were evicted meanwhile.
	if [[ $seen != *" proc.reasm_dropped_segs "* ]]; then
		dseg=$(stt_delta "$before" "$after" proc.reasm_dropped_segs)
		dto=$(($(stt_delta "$before" "$after" proc.reasm_timeouts) +
			$(stt_delta "$before" "$after" proc.reasm_evictions)))
		if [ "$dto" -eq 0 ] && [ "$dseg" != 0 ]; then
			ktap_info "$desc: reasm_dropped_segs +$dseg with no timeout"
			bad=1
		fi
	fi
	if [ "$bad" -eq 0 ]; then
		ktap_info "$desc: $(stt_show_deltas "$before" "$after" |
			grep -E 'proc\.(rx_[a-z_]+|reasm_[a-z_]+)|rx_(frames|skbs|bad|fast|reasm)' |
			grep -vE 'rx_segments|reasm_bytes|reasm_frames ' | tr -s ' \n' ' ')" \
			"($((SECONDS - t0))s)"
		ktap_pass "$desc"
	else
		stt_show_deltas "$before" "$after" | ktap_info
		ktap_fail "$desc"
	fi
}

# The cases count frames exactly, and a frame whose segments the host's
# scheduler keeps apart for over the default 100 ms (a TCG vCPU thread
# descheduled on a busy host: guest time jumps) would time out instead.
# Timeouts have their own check below.
DEF_TIMEOUT=$(stt_sysctl "$NS_B" reasm_timeout_ms)
stt_sysctl "$NS_B" reasm_timeout_ms 5000 ||
	ktap_info "cannot set net.stt.reasm_timeout_ms in B"

K=(-k "$K2")
craft_case "trunc_tcp x$N: rx_truncated +$N" \
	"proc.rx_truncated=$N" "${K[@]}" -n "$N" trunc_tcp
craft_case "bad_doff x$N: rx_bad_doff +$((2 * N))" \
	"proc.rx_bad_doff=$((2 * N))" "${K[@]}" -n "$N" bad_doff
craft_case "version 1 x$N: rx_bad_version +$N" \
	"proc.rx_bad_version=$N" "${K[@]}" -n "$N" version
craft_case "short_frame x$N: rx_short_frame +$N" \
	"proc.rx_short_frame=$N" "${K[@]}" -n "$N" short_frame
craft_case "zero_len x$N: rx_zero_len +$N" \
	"proc.rx_zero_len=$N" "${K[@]}" -n "$N" zero_len
craft_case "overrun x$N: rx_seg_overrun +$N" \
	"proc.rx_seg_overrun=$N" "${K[@]}" -n "$N" overrun
craft_case "bad_csum x$N: rx_csum_errors +$N" \
	"proc.rx_csum_errors=$N" "${K[@]}" -n "$N" bad_csum
craft_case "l4_beyond x$N: stt1 rx_bad_l4_offset +$N, rx_errors +$N, no frame" \
	"rx_bad_l4_offset=$N link.rx_errors=$N rx_frames=0" "${K[@]}" -n "$N" l4_beyond
craft_case "ipv4_flag x$N: stt1 rx_bad_offload +$N, rx_errors +$N, no frame" \
	"rx_bad_offload=$N link.rx_errors=$N rx_frames=0" "${K[@]}" -n "$N" ipv4_flag
craft_case "partial_nonip x$N: flags ignored for a non-IP frame, stt1 rx_frames +$N" \
	"rx_frames=$N rx_fastpath_frames=$N rx_skbs=$N rx_bad_offload=0 link.rx_errors=0" \
	"${K[@]}" -n "$N" partial_nonip
craft_case "tcp_gso with MSS 1 x$N: stt1 rx_bad_offload +$((3 * N)), rx_errors +$N, no frame" \
	"rx_bad_offload=$((3 * N)) link.rx_errors=$N rx_frames=0" \
	"${K[@]}" -n "$N" -M 1 -a "$IN_IP_A" -b "$IN_IP_B" tcp_gso
craft_case "len_change x$N: reasm_len_mismatch +$N, reasm_dropped_segs +$((2 * N))" \
	"proc.reasm_len_mismatch=$N proc.reasm_dropped_segs=$((2 * N))" \
	"${K[@]}" -n "$N" len_change
craft_case "overlap x$N: reasm_overlaps +$N, reasm_dropped_segs +$((2 * N))" \
	"proc.reasm_overlaps=$N proc.reasm_dropped_segs=$((2 * N))" \
	"${K[@]}" -n "$N" overlap
craft_case "duplicate x$N: reasm_duplicates +$N, frames still delivered (rx_frames +$N)" \
	"proc.reasm_duplicates=$N rx_frames=$N rx_reasm_frames=$N rx_skbs=$((3 * N))" \
	"${K[@]}" -n "$N" duplicate
craft_case "wrong key x$N frames of 3 segments: rx_no_device +$((3 * N))" \
	"proc.rx_no_device=$((3 * N)) rx_frames=0" -k "$K3" -n "$N" good
craft_case "good x$N (3 segments): rx_frames +$N via reassembly, rx_skbs +$((3 * N))" \
	"rx_frames=$N rx_reasm_frames=$N rx_fastpath_frames=0 rx_skbs=$((3 * N))" \
	"${K[@]}" -n "$N" good
craft_case "reverse x$N (3 segments): rx_frames +$N via reassembly" \
	"rx_frames=$N rx_reasm_frames=$N rx_fastpath_frames=0 rx_skbs=$((3 * N))" \
	"${K[@]}" -n "$N" reverse
craft_case "last_first x$N (3 segments): rx_frames +$N via reassembly" \
	"rx_frames=$N rx_reasm_frames=$N rx_fastpath_frames=0 rx_skbs=$((3 * N))" \
	"${K[@]}" -n "$N" last_first
craft_case "tcp_options x$N (3 segments, 12 bytes of options each): delivered like good" \
	"rx_frames=$N rx_reasm_frames=$N rx_fastpath_frames=0 rx_skbs=$((3 * N))" \
	"${K[@]}" -n "$N" tcp_options
# The largest frame (65,495 bytes: one IPv4 datagram) in segments of a
# 1500-byte MTU's MSS, 1448: 46 segments, in order and reversed; then an
# ID reused right after its frame completed (each ID twice in a row).
BIG=65495
BIGSEG=$(((BIG + 1447) / 1448))
craft_case "big x$N ($BIG bytes in $BIGSEG segments of 1448): rx_frames +$N via reassembly, rx_skbs +$((BIGSEG * N))" \
	"rx_frames=$N rx_reasm_frames=$N rx_fastpath_frames=0 rx_skbs=$((BIGSEG * N))" \
	"${K[@]}" -n "$N" -l "$BIG" -m 1448 good
craft_case "big reverse x$N ($BIG bytes, $BIGSEG segments last first): rx_frames +$N via reassembly" \
	"rx_frames=$N rx_reasm_frames=$N rx_fastpath_frames=0 rx_skbs=$((BIGSEG * N))" \
	"${K[@]}" -n "$N" -l "$BIG" -m 1448 reverse
craft_case "id reuse x$N ($BIG-byte frames, each ID again right after completion): rx_frames +$((2 * N)), no duplicate" \
	"rx_frames=$((2 * N)) rx_reasm_frames=$((2 * N)) rx_fastpath_frames=0 rx_skbs=$((2 * BIGSEG * N)) proc.reasm_duplicates=0" \
	"${K[@]}" -n "$N" -l "$BIG" -m 1448 reuse
craft_case "good x$N (1 segment): rx_frames +$N on the fast path" \
	"rx_frames=$N rx_fastpath_frames=$N rx_reasm_frames=0 rx_skbs=$N" \
	"${K[@]}" -n "$N" -l 1000 -m 1000 good
craft_case "ignored x$N (3 segments, every ignored field set): delivered like good" \
	"rx_frames=$N rx_reasm_frames=$N rx_fastpath_frames=0 rx_skbs=$((3 * N))" \
	"${K[@]}" -n "$N" ignored

# udp_snmp NS: "NoPorts InCsumErrors" of NS's Udp counters.
udp_snmp()
{
	nsx "$1" awk '$1 == "Udp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Udp:" { print $c["NoPorts"], $c["InCsumErrors"] }' /proc/net/snmp
}

# udp_moved BEFORE NOPORTS CSUMERRORS: B's Udp counters moved by that much.
udp_moved()
{
	local n0 e0 n1 e1

	read -r n0 e0 <<<"$1"
	read -r n1 e1 < <(udp_snmp "$NS_B")
	UDP_MOVED="NoPorts +$((n1 - n0)), InCsumErrors +$((e1 - e0))"
	[ $((n1 - n0)) = "$2" ] && [ $((e1 - e0)) = "$3" ]
}

# udp_case FLAGS DESC NOPORTS CSUMERRORS: N frames of 3 segments, each an
# inner UDP datagram from A's inner address to B's with a wrong checksum.
udp_case()
{
	local flags=$1 desc=$2 u0

	u0=$(udp_snmp "$NS_B")
	craft_case "udp_csum x$N, STT flags $flags: delivered to stt1" \
		"rx_frames=$N rx_reasm_frames=$N rx_skbs=$((3 * N))" \
		"${K[@]}" -n "$N" -F "$flags" -a "$IN_IP_A" -b "$IN_IP_B" udp_csum
	stt_wait_for 5 udp_moved "$u0" "$3" "$4"
	if udp_moved "$u0" "$3" "$4"; then
		ktap_pass "$desc: $UDP_MOVED"
	else
		ktap_fail "$desc: $UDP_MOVED, expected NoPorts +$3, InCsumErrors +$4"
	fi
}
udp_case 0x05 "checksum verified (flags 0x05): B's UDP trusts it" "$N" 0
udp_case 0x04 "no checksum flag (flags 0x04): B's UDP finds the bad checksum" 0 "$N"

# ECN (RFC 6040) on frames of 3 segments whose inner frame is IPv4 with
# protocol 253: a capture on B's stt1 reads the inner ECN field of each
# frame delivered.  ecn_case DESC "ECN value or none" "counters" ARGS...
# ECN_FILTER: the capture filter ("vlan and ip proto 253" for a tagged
# inner frame).
ecn_case()
{
	local desc=$1 want=$2 expect=$3 cap=$TMP/ecn.pcap got capok=1

	shift 3
	rm -f "$cap"
	stt_cap_start "$NS_B" stt1 "$cap" "${ECN_FILTER:-ip proto 253}" "$N" 60 ||
		capok=0
	craft_case "$desc" "$expect" "$@"
	[ "$want" = none ] || want="${N}x$want"
	stt_cap_stop
	if [ "$capok" = 0 ]; then
		ktap_fail "$desc: inner ECN seen on stt1: the capture did not start"
		return
	fi
	got=$(stt_pcap_ecn "$cap" 2>/dev/null | sort | uniq -c |
		awk '{ printf "%s%sx%s", sep, $1, $2; sep = " " }')
	[ -z "$got" ] && got=none
	if [ "$got" = "$want" ]; then
		ktap_pass "$desc: inner ECN seen on stt1: $got"
	else
		ktap_fail "$desc: inner ECN seen on stt1: ${got:-nothing}, expected $want"
	fi
}
E=(-k "$K2" -n "$N" -l 3000 -m 1000)
ecn_case "ecn: inner ECT(0), outer ECT(0) on 3 segments" 2 \
	"rx_frames=$N rx_reasm_frames=$N rx_skbs=$((3 * N)) rx_ecn_drops=0" "${E[@]}" -E 2 -T 2 ecn
ecn_case "ecn: inner ECT(0), CE on the middle segment only: inner CE" 3 \
	"rx_frames=$N rx_reasm_frames=$N rx_skbs=$((3 * N)) rx_ecn_drops=0" "${E[@]}" -E 2 -T 2 -C 1 ecn
ecn_case "ecn: inner ECT(1), CE on the last segment only: inner CE" 3 \
	"rx_frames=$N rx_reasm_frames=$N rx_skbs=$((3 * N)) rx_ecn_drops=0" "${E[@]}" -E 1 -T 1 -C 2 ecn
ecn_case "ecn: one-segment frames (fast path), outer CE: inner CE" 3 \
	"rx_frames=$N rx_fastpath_frames=$N rx_skbs=$N rx_ecn_drops=0" -k "$K2" -n "$N" -l 1000 -m 1000 \
	-E 2 -T 3 ecn
ecn_case "ecn: inner Not-ECT, CE on the middle segment: frame dropped, rx_ecn_drops +$((3 * N))" none \
	"rx_ecn_drops=$((3 * N)) link.rx_frame_errors=$N link.rx_errors=$N rx_frames=0" \
	"${E[@]}" -E 0 -T 0 -C 1 ecn
# Tags in the payload (802.1ad, and 802.1Q behind it, which the header's
# VLAN field cannot carry) do not hide the inner IP header from RFC 6040.
ECN_FILTER="vlan and vlan and ip proto 253" \
ecn_case "ecn: inner ECT(0) behind 802.1ad and 802.1Q tags, CE on the middle segment: inner CE" 3 \
	"rx_frames=$N rx_reasm_frames=$N rx_skbs=$((3 * N)) rx_ecn_drops=0" \
	"${E[@]}" -E 2 -T 2 -C 1 -q 0x88a8:20 -q 0x8100:30 ecn
ECN_FILTER="vlan and ip proto 253" \
ecn_case "ecn: inner Not-ECT behind an 802.1ad tag, outer CE: frame dropped, rx_ecn_drops +$((3 * N))" none \
	"rx_ecn_drops=$((3 * N)) link.rx_frame_errors=$N link.rx_errors=$N rx_frames=0" \
	"${E[@]}" -E 0 -T 0 -C 1 -q 0x88a8:20 ecn

# Stop the legitimate stream: everything sent must have arrived intact.
if stt_stream_stop; then
	ktap_pass "legitimate sha256-checked stream alongside: $((STT_STREAM_BYTES >> 20)) MiB intact in ${STT_STREAM_SECS}s"
else
	ktap_fail "legitimate sha256-checked stream alongside arrived intact"
fi

# One frame (3 segments, fixed ID) sent in two invocations of stt-craft.
# On veth a segment is received on the sender's CPU.  Starting a process
# takes longer than the default timeout under emulation: B holds partial
# frames for 5 s meanwhile.
split_frame()
{
	local id=$1 cpu0=$2 cpu1=$3

	nsx "$NS_A" taskset -c "$cpu0" "$STT_CRAFT" -s "$UL_IP_A" -d "$UL_IP_B" \
		-P "$SPORT" -k "$K2" -i "$id" -o 0:0 good >/dev/null &&
		nsx "$NS_A" taskset -c "$cpu1" "$STT_CRAFT" -s "$UL_IP_A" \
			-d "$UL_IP_B" -P "$SPORT" -k "$K2" -i "$id" -o 1:2 good \
			>/dev/null
}

stt_wait_reasm_idle "$NS_B"
snap "$TMP/s0"
if split_frame 0x5a5a0001 0 0; then
	stt_wait_for 5 reached "$TMP/s0" rx_frames 1
fi
snap "$TMP/s1"
d=$(stt_delta "$TMP/s0" "$TMP/s1" rx_frames)
if [ "$d" = 1 ]; then
	ktap_pass "one frame sent in two parts from CPU 0: delivered (rx_frames +1)"
else
	stt_show_deltas "$TMP/s0" "$TMP/s1" | ktap_info
	ktap_fail "one frame sent in two parts from CPU 0: delivered (rx_frames +$d)"
fi

desc="one frame split over CPU 0 and CPU 1: held, not delivered, 2 partial frames time out (reasm_timeouts +2, dropped_segs +3), bytes back to 0"
if [ "$(nproc)" -lt 2 ]; then
	ktap_skip "$desc" "needs 2 CPUs"
else
	stt_wait_reasm_idle "$NS_B"
	snap "$TMP/s2"
	split_frame 0x5a5a0002 0 1
	held=$(stt_proc_val "$NS_B" reasm_bytes)
	stt_wait_reasm_idle "$NS_B"
	snap "$TMP/s3"
	ktap_info "held right after sending: reasm_bytes $held"
	if [ "$(stt_delta "$TMP/s2" "$TMP/s3" rx_frames)" = 0 ] &&
		[ "$(stt_delta "$TMP/s2" "$TMP/s3" proc.reasm_timeouts)" = 2 ] &&
		[ "$(stt_delta "$TMP/s2" "$TMP/s3" proc.reasm_dropped_segs)" = 3 ] &&
		# >= 3: the netns may also see a late segment of the stream's
		# TCP teardown meanwhile (stt0's, not stt1's: rx_frames is
		# stt1's and the timeouts and drops are exact).
		[ "$(stt_delta "$TMP/s2" "$TMP/s3" proc.rx_segments)" -ge 3 ] &&
		[ "$(stt_val "$TMP/s3" proc.reasm_bytes)" = 0 ] &&
		[ "${held:-0}" -gt 0 ]; then
		ktap_pass "$desc"
	else
		stt_show_deltas "$TMP/s2" "$TMP/s3" | ktap_info
		ktap_fail "$desc"
	fi
fi

stt_sysctl "$NS_B" reasm_timeout_ms "$DEF_TIMEOUT"

# A few legitimate frames after all that: the tunnel still works.
ktap_result "tunnel still works (ping A->B, 1400 bytes)" \
	stt_ping "$NS_A" "$IN_IP_B" 3 1400
ktap_result "reassembly table empty after the timeout (reasm_bytes == 0 in B)" \
	stt_wait_reasm_idle "$NS_B"
ktap_result "segment identity holds in B" stt_check_identity "$NS_B"
ktap_result "segment identity holds in A" stt_check_identity "$NS_A"

check_dmesg
ktap_finished
