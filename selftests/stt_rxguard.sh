#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile input written straight into B's underlay, a tap device, the way
# a NIC hands packets to the stack: tap builds each segment as one linear
# skb whose head is a page fragment (head_frag), like build_skb() drivers
# (mlx5, virtio-net's small buffers, XDP).  tools/stt-craft -t writes the
# segments; nothing answers them.
#
#   tap "ul" 192.0.2.2 -- B: stt0 (remote 192.0.2.1) -- br0 -- vb == vc -- C
#
# B's stt0 is a port of the bridge br0, with a veth to C whose
# tx-scatter-gather-fraglist is off, so a frame that stt0 delivers as a
# TCP GSO skb is segmented in software (skb_segment()) on its way to C.
#
#  1. Frames of three 1400-byte segments whose inner frame is IPv4 TCP,
#     "checksum partial" with MSS 166 in the frame header: the frame is
#     rebuilt as a GSO skb over a frag_list of the head_frag segments,
#     whose sizes have nothing to do with 166.  The first segment holds
#     1328 bytes of TCP payload, 8 x 166: the 9th output segment starts
#     exactly at the first list member, whose 1400 linear bytes are more
#     than one MSS, and skb_segment() hits BUG_ON(skb_headlen(list_skb) >
#     len) (a remote panic before stt moved the members' linear bytes
#     into page frags).  C must see exactly ceil(3928 / 166) = 24 TCP
#     segments per frame (tc flower on its ingress), stt0
#     rx_gso_frames +N.
#     The same with 3700-byte segments, which tap puts in kmalloc()ed
#     heads (too big for build_skb()): their linear bytes are copied into
#     page frags instead; C must see ceil(7928 / 166) = 48 segments per
#     8000-byte frame.  (skb_segment() copies such members itself, so the
#     old code passed this one too: it checks the copy path is right.)
#     The same with 100-byte segments, which B coalesces as they arrive
#     (reasm_coalesced): the frame's frag_list members then hold page
#     frags of other segments, and C must still see 24 segments a frame.
#  2. The same with MSS 1: refused (rx_bad_offload), nothing reaches C.
#  3. Good frames to the link-layer broadcast address, unicast IP: what
#     tcp_v4_rcv() would drop (rx_not_host), never delivered.
#  4. Middle segments from a source no device talks to (192.0.2.99):
#     dropped before they are queued (rx_unknown_peer), reasm_bytes 0.
#     Frames to the group of stt9 (remote 239.9.9.9, local 192.0.2.2,
#     dev ul): delivered to stt9, whose own local address does not matter
#     for what is sent to its group.
#  5. Frames in 64-byte segments, in order and in reverse: stt0 delivers
#     them byte for byte (a packet socket on stt0), coalesced.
#     FragmentSmack (CVE-2018-5391): one frame of 48,000 one-byte
#     segments, the last one first and then the rest in order, against the
#     same frame in order.  The reassembly queue is an rbtree: the sender's
#     time (its writes run B's receive path inline, in softirq on the same
#     CPU) must be at most 3x the in-order time.  The sorted list it
#     replaced took O(n) an insert: 12x at 24,000 segments.  Then the
#     same frame in reverse.  At least 15 in 17 of the segments of the
#     five frames are merged away (a queued skb takes up to 16 others'
#     heads as page frags), so a delivered frame is some 3,000 skbs, not
#     48,000, to free at once.
#  6. Afterwards: the segment identity holds in B, reasm_bytes is 0.

source "$(dirname "$0")/lib.sh"

N=${STT_RXGUARD_N:-20}
SMACK_SEGS=${STT_SMACK_SEGS:-48000}
SMACK_MAX_RATIO=3
TAP=ul
INNER_A=10.0.0.1
INNER_C=10.0.0.3

ktap_header
stt_require ethtool tc timeout taskset
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
# The VM's initramfs cannot autoload modules, and its /dev is fresh.
for m in tun bridge sch_ingress cls_flower act_gact; do
	modprobe -q "$m" 2>/dev/null
done
stt_module_present bridge || ktap_skip_all "no bridge module"
if [ ! -c /dev/net/tun ] && [ -d /sys/module/tun ]; then
	mkdir -p /dev/net && mknod /dev/net/tun c 10 200
fi
[ -c /dev/net/tun ] || ktap_skip_all "no /dev/net/tun (tun module)"
stt_require_craft
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 14

topo()
{
	setup_ns NS_B NS_C || return 1
	stt_try ip -n "$NS_B" tuntap add dev "$TAP" mode tap || return 1
	stt_try ip link add vb netns "$NS_B" type veth peer name vc netns "$NS_C" ||
		return 1
	stt_try ip -n "$NS_B" -batch - <<-EOF || return 1
		addr add $UL_IP_B/24 dev $TAP
		link set $TAP up
		link add $TUN type stt remote $UL_IP_A local $UL_IP_B key $STT_KEY dstport $STT_PORT
		link add br0 type bridge
		link set $TUN master br0
		link set vb master br0
		link set $TUN up
		link set vb up
		link set br0 up
		link add stt9 type stt remote 239.9.9.9 local $UL_IP_B dev $TAP key 0x99 dstport $STT_PORT
		link set stt9 up
	EOF
	stt_try nsx "$NS_B" ethtool -K vb tx-scatter-gather-fraglist off || return 1
	stt_try ip -n "$NS_C" link set vc up || return 1
	# The TCP segments C receives from the bridge, counted on its ingress.
	stt_try nsx "$NS_C" tc qdisc add dev vc clsact || return 1
	stt_try nsx "$NS_C" tc filter add dev vc ingress pref 1 protocol ip \
		flower ip_proto tcp dst_port 9 action pass
}
if topo; then
	ktap_pass "topology: tap underlay, $TUN bridged to a veth without fraglist"
else
	ktap_fail "topology: tap underlay, $TUN bridged to a veth without fraglist"
	ktap_bail "cannot build the topology"
fi

# c_segs: TCP segments C's flower filter has counted.
c_segs()
{
	nsx "$NS_C" tc -s -j filter show dev vc ingress 2>/dev/null |
		jq '[.[] | select(.options.actions != null) |
			.options.actions[0].stats.packets] | add // 0'
}

snap() { stt_snap "$NS_B" "$TUN" "$1"; }

# craft ARGS...: stt-craft into the tap, from B's netns, on CPU 0 (one
# CPU's reassembly table).
craft()
{
	nsx "$NS_B" taskset -c 0 "$STT_CRAFT" -t "$TAP" -d "$UL_IP_B" \
		-k "$STT_KEY" "$@" >/dev/null
}

# expect BEFORE AFTER "name=delta ...": every named counter moved by
# exactly that much; prints the mismatches.
expect()
{
	local e name want got bad=0

	for e in $3; do
		name=${e%%=*}
		want=${e#*=}
		got=$(stt_delta "$1" "$2" "$name")
		if [ "$got" != "$want" ]; then
			ktap_info "$name +${got:-missing}, expected +$want"
			bad=1
		fi
	done
	return "$bad"
}

# Frames take longer than the default 100 ms to arrive under TCG.
DEF_TIMEOUT=$(stt_sysctl "$NS_B" reasm_timeout_ms)
stt_sysctl "$NS_B" reasm_timeout_ms 10000 ||
	ktap_info "cannot set net.stt.reasm_timeout_ms in B"

# gso_case FRAMELEN SEGLEN WHAT [COUNTER=MIN...]: N frames of FRAMELEN
# bytes in SEGLEN-byte segments, inner TCP with MSS $MSS, bridged and
# segmented on the way to C, which must count exactly N x ceil(TCP payload
# / MSS) segments, and each COUNTER of /proc/net/stt must grow by at least
# MIN.  The TCP payload is FRAMELEN - STT 18 - Ethernet 14 - IPv4 20 - TCP
# 20.
MSS=166
gso_case()
{
	local len=$1 seg=$2 what=$3 per c0 c1 desc e ok=1

	shift 3
	per=$(((len - 18 - 14 - 20 - 20 + MSS - 1) / MSS))
	desc="MSS $MSS over $seg-byte $what segments, x$N: bridged and segmented, C gets $((N * per)) segments"
	snap "$TMP/b0"
	c0=$(c_segs)
	if craft -s "$UL_IP_A" -n "$N" -l "$len" -m "$seg" -M "$MSS" \
		-a "$INNER_A" -b "$INNER_C" tcp_gso; then
		stt_wait_for 10 eval '[ $(($(c_segs) - c0)) -ge $((N * per)) ]'
	fi
	stt_sleep 0.5
	snap "$TMP/b1"
	c1=$(c_segs)
	ktap_info "C counted $((c1 - c0)) TCP segments"
	for e in "$@"; do
		if [ "$(stt_delta "$TMP/b0" "$TMP/b1" "proc.${e%%=*}")" -lt "${e#*=}" ]; then
			ktap_info "${e%%=*} +$(stt_delta "$TMP/b0" "$TMP/b1" "proc.${e%%=*}"), expected at least +${e#*=}"
			ok=0
		fi
	done
	if [ "$ok" = 1 ] && [ $((c1 - c0)) -eq $((N * per)) ] &&
		expect "$TMP/b0" "$TMP/b1" \
			"rx_frames=$N rx_gso_frames=$N rx_bad_offload=0"; then
		ktap_pass "$desc"
	else
		stt_show_deltas "$TMP/b0" "$TMP/b1" | ktap_info
		ktap_fail "$desc"
	fi
}

# 1. Over head_frag segments (tap's build_skb()), then over segments too
# big for it, whose heads tap kmalloc()s.
gso_case 4000 1400 head_frag
gso_case 8000 3700 kmalloc-head
# 40 segments a frame, each queued skb taking up to 16 more: at least 37
# of them coalesced.
gso_case 4000 100 short "reasm_coalesced=$((37 * N))"

# 2. MSS 1: 3,928 segments from one frame.  Refused.
desc="MSS 1 x$N: rx_bad_offload +$((3 * N)), rx_errors +$N, nothing reaches C"
snap "$TMP/b0"
c0=$(c_segs)
craft -s "$UL_IP_A" -n "$N" -l 4000 -m 1400 -M 1 -a "$INNER_A" \
	-b "$INNER_C" tcp_gso &&
	stt_wait_for 10 eval '[ "$(stt_proc_val "$NS_B" rx_segments)" -ge \
		$(($(stt_val "$TMP/b0" proc.rx_segments) + 3 * N)) ]'
stt_sleep 0.5
snap "$TMP/b1"
if [ "$(c_segs)" = "$c0" ] &&
	expect "$TMP/b0" "$TMP/b1" \
		"rx_bad_offload=$((3 * N)) link.rx_errors=$N rx_frames=0"; then
	ktap_pass "$desc"
else
	stt_show_deltas "$TMP/b0" "$TMP/b1" | ktap_info
	ktap_fail "$desc"
fi

# refused DESC COUNTER N "name=delta ..." [stt-craft args]: send, wait for
# /proc/net/stt's COUNTER to move by N, then every named counter moved by
# exactly its delta and nothing is held in the table.
refused()
{
	# shellcheck disable=SC2034 # n is read by the eval below
	local desc=$1 name=$2 n=$3 deltas=$4

	shift 4
	snap "$TMP/b0"
	craft "$@" &&
		stt_wait_for 10 eval '[ "$(stt_proc_val "$NS_B" "$name")" -ge \
			$(($(stt_val "$TMP/b0" "proc.$name") + n)) ]'
	snap "$TMP/b1"
	if expect "$TMP/b0" "$TMP/b1" "$deltas" &&
		[ "$(stt_val "$TMP/b1" proc.reasm_bytes)" = 0 ]; then
		ktap_pass "$desc"
	else
		stt_show_deltas "$TMP/b0" "$TMP/b1" | ktap_info
		ktap_fail "$desc"
	fi
}

# 3. Link-layer broadcast, unicast IP destination.
refused "good frames to ff:ff:ff:ff:ff:ff x$N: rx_not_host +$((3 * N)), none delivered" \
	rx_not_host $((3 * N)) \
	"proc.rx_not_host=$((3 * N)) proc.rx_segments=$((3 * N)) rx_frames=0" \
	-s "$UL_IP_A" -B -n "$N" good

# 4. Non-first segments (no Context ID) from a source no device talks to.
refused "middle segments from 192.0.2.99 x$N: rx_unknown_peer +$N, never queued (reasm_bytes 0)" \
	rx_unknown_peer "$N" \
	"proc.rx_unknown_peer=$N proc.rx_segments=$N proc.reasm_timeouts=0" \
	-s 192.0.2.99 -n "$N" -o 1:1 good

# A group's device with a local address of its own.
desc="good frames to 239.9.9.9 x$N: stt9 (local $UL_IP_B) takes them, rx_frames +$N"
stt_snap "$NS_B" stt9 "$TMP/g0"
craft -s "$UL_IP_A" -d 239.9.9.9 -k 0x99 -n "$N" good &&
	stt_wait_for 10 eval '[ "$(stt_proc_val "$NS_B" rx_segments)" -ge \
		$(($(stt_val "$TMP/g0" proc.rx_segments) + 3 * N)) ]'
stt_sleep 0.5
stt_snap "$NS_B" stt9 "$TMP/g1"
if expect "$TMP/g0" "$TMP/g1" "rx_frames=$N proc.rx_unknown_peer=0"; then
	ktap_pass "$desc"
else
	stt_show_deltas "$TMP/g0" "$TMP/g1" | ktap_info
	ktap_fail "$desc"
fi

# 5. Frames in 64-byte segments, delivered byte for byte.  stt-craft's
# frame: STT header, Ethernet to ff:ff:ff:ff:ff:ff type 0x88b5, then
# byte i of the frame is i mod 256; a packet socket on stt0 (ETH_P_ALL,
# which sees a bridge port's frames before the bridge takes them) checks
# every byte of what stt0 delivers.
cat >"$TMP/rxcheck.py" <<'PYEOF'
import select, socket, sys, time

ifname, count, flen, secs, ready = sys.argv[1:6]
count, flen = int(count), int(flen)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind((ifname, 0))
open(ready, "w").close()
want = bytes((18 + k) & 0xFF for k in range(14, flen - 18))
good = bad = 0
end = time.time() + float(secs)
while good + bad < count and time.time() < end:
    if not select.select([s], [], [], 1)[0]:
        continue
    pkt, addr = s.recvfrom(1 << 17)
    if addr[2] == socket.PACKET_OUTGOING or pkt[12:14] != b"\x88\xb5":
        continue
    if len(pkt) == flen - 18 and pkt[14:] == want:
        good += 1
    else:
        bad += 1
        print("frame of %d bytes differs" % len(pkt), file=sys.stderr)
print(good, bad)
PYEOF
BYTES_LEN=6000
desc="$BYTES_LEN-byte frames in 64-byte segments, in order and in reverse: stt0 delivers them byte for byte, coalesced"
rm -f "$TMP/rx.ready"
nsx "$NS_B" "$STT_PY" "$TMP/rxcheck.py" "$TUN" 2 "$BYTES_LEN" $((30 * STT_SLOW)) \
	"$TMP/rx.ready" >"$TMP/rx.out" 2>"$TMP/rx.err" &
rx_pid=$!
stt_wait_for 10 test -e "$TMP/rx.ready"
snap "$TMP/b0"
craft -s "$UL_IP_A" -l "$BYTES_LEN" -m 64 -n 1 good &&
	craft -s "$UL_IP_A" -l "$BYTES_LEN" -m 64 -n 1 reverse
wait "$rx_pid"
snap "$TMP/b1"
read -r rx_good rx_bad <"$TMP/rx.out"
coalesced=$(stt_delta "$TMP/b0" "$TMP/b1" proc.reasm_coalesced)
ktap_info "delivered intact: ${rx_good:-?}, differing: ${rx_bad:-?}; reasm_coalesced +$coalesced"
[ -s "$TMP/rx.err" ] && ktap_info <"$TMP/rx.err"
# 94 segments a frame, a queued skb holding up to 17: at least 94 -
# ceil(94 / 17) = 88 merges a frame, in order (each joins the skb before
# it) and in reverse (the skb after each joins it).
if [ "${rx_good:-0}" = 2 ] && [ "${rx_bad:-1}" = 0 ] &&
	[ "${coalesced:-0}" -ge $((2 * 88)) ]; then
	ktap_pass "$desc"
else
	ktap_fail "$desc"
fi

# One frame of SMACK_SEGS one-byte segments, in order and last first.
# Each one-byte segment holds a tap skb (~1.3 KB of truesize): room for the
# frame, and time for it to arrive under emulation.
DEF_HIGH=$(stt_sysctl "$NS_B" reasm_high_thresh)
DEF_LOW=$(stt_sysctl "$NS_B" reasm_low_thresh)
# shellcheck disable=SC2015 # any step failing is reported
stt_sysctl "$NS_B" reasm_high_thresh $((256 << 20)) &&
	stt_sysctl "$NS_B" reasm_low_thresh $((192 << 20)) &&
	stt_sysctl "$NS_B" reasm_timeout_ms 60000 ||
	ktap_info "cannot raise B's reassembly limits"

# smack ORDER: print the sender's wall time in microseconds; B's stt0 must
# get the frame.
smack()
{
	local t0 t1 f0

	# shellcheck disable=SC2034 # f0 is read by the eval below
	f0=$(stt_proc_val "$NS_B" reasm_frames)
	t0=${EPOCHREALTIME/./}
	craft -s "$UL_IP_A" -l "$SMACK_SEGS" -m 1 -n 1 "$1" || return 1
	t1=${EPOCHREALTIME/./}
	stt_wait_for 30 eval '[ "$(stt_proc_val "$NS_B" reasm_frames)" -gt "$f0" ]' ||
		return 1
	echo $((t1 - t0))
}

desc="$SMACK_SEGS one-byte segments, last first: at most ${SMACK_MAX_RATIO}x the in-order time"
c0=$(stt_proc_val "$NS_B" reasm_coalesced)
if t_in=$(smack good) && t_lf=$(smack last_first) &&
	t_in2=$(smack good) && t_lf2=$(smack last_first); then
	# The smaller of two runs of each: TCG's noise only ever adds time.
	[ "$t_in2" -lt "$t_in" ] && t_in=$t_in2
	[ "$t_lf2" -lt "$t_lf" ] && t_lf=$t_lf2
	ratio=$(awk -v a="$t_lf" -v b="$t_in" 'BEGIN { printf "%.2f", a / b }')
	ktap_info "in order $((t_in / 1000)) ms, last first $((t_lf / 1000)) ms: ratio $ratio"
	if awk -v r="$ratio" -v m="$SMACK_MAX_RATIO" 'BEGIN { exit !(r <= m) }'; then
		ktap_pass "$desc ($ratio)"
	else
		ktap_fail "$desc ($ratio)"
	fi
else
	ktap_fail "$desc: a frame was not reassembled"
fi
desc="the same frame in reverse: reassembled; with the four above, at least 15 in 17 of the segments merged on arrival"
if t_rv=$(smack reverse); then
	coalesced=$(($(stt_proc_val "$NS_B" reasm_coalesced) - c0))
	ktap_info "reverse $((t_rv / 1000)) ms; reasm_coalesced +$coalesced for $((5 * SMACK_SEGS)) segments"
else
	coalesced=0
	ktap_info "the reverse frame was not reassembled"
fi
if [ "$coalesced" -ge $((5 * SMACK_SEGS * 15 / 17)) ]; then
	ktap_pass "$desc"
else
	ktap_fail "$desc"
fi
stt_sysctl "$NS_B" reasm_low_thresh "$DEF_LOW"
stt_sysctl "$NS_B" reasm_high_thresh "$DEF_HIGH"
stt_sysctl "$NS_B" reasm_timeout_ms "$DEF_TIMEOUT"

ktap_result "reassembly table empty (reasm_bytes == 0 in B)" stt_wait_reasm_idle "$NS_B"
ktap_result "segment identity holds in B" stt_check_identity "$NS_B"

check_dmesg
ktap_finished
