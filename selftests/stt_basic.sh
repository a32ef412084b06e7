#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two hosts (netns A and B) joined by veth, an STT tunnel between them.
# Ping and iperf3 across the tunnel at inner MTU 1500 and 9000, in both
# directions; the tunnel's counters must move and show no errors.  The
# throughput over the tunnel and over the plain underlay, measured in the
# same run, is printed with its ratio (information, not a bound).  Every
# frame A sent must reach B, unless the underlay counted a drop for it.  B's
# segments mostly skip the FIB on a remembered input route, which a
# routing change (rp_filter + a prohibit route to A) retires at once and
# which stays off while custom FIB rules exist.

source "$(dirname "$0")/lib.sh"

SECS=${STT_IPERF_SECS:-4}
RSECS=$(((SECS + 1) / 2))

ktap_header
stt_require ethtool iperf3 ping ss timeout
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 20

if stt_topo_setup; then
	ktap_pass "topology: two netns, veth underlay, $TUN in each"
else
	ktap_fail "topology: two netns, veth underlay, $TUN in each"
	ktap_bail "cannot build the topology"
fi

# ul_drops: segments the underlay dropped: every CPU's backlog drops
# (/proc/net/softnet_stat's second column, hex) + A's veth tx_dropped +
# B's veth rx_dropped.
ul_drops()
{
	local n=0 d

	while read -r _ d _; do
		n=$((n + 16#$d))
	done </proc/net/softnet_stat
	n=$((n + $(nsx "$NS_A" cat "/sys/class/net/$UL_A/statistics/tx_dropped")))
	n=$((n + $(nsx "$NS_B" cat "/sys/class/net/$UL_B/statistics/rx_dropped")))
	echo "$n"
}

stt_snap "$NS_A" "$TUN" "$TMP/a0"
stt_snap "$NS_B" "$TUN" "$TMP/b0"
ul_drops >"$TMP/d0"

ktap_result "ping A->B over the tunnel" stt_ping "$NS_A" "$IN_IP_B" 5
ktap_result "ping B->A over the tunnel" stt_ping "$NS_B" "$IN_IP_A" 3
# 1400 bytes of ICMP payload: the 1474-byte STT frame needs two segments.
ktap_result "ping 1400-byte payload (frame of two segments)" \
	stt_ping "$NS_A" "$IN_IP_B" 3 1400

# iperf_case DESC RESULT_VAR SERVER_NS SERVER_IP CLIENT_NS SECS [ARGS]
iperf_case()
{
	local desc=$1 var=$2 mbps

	shift 2
	if mbps=$(stt_iperf "$@"); then
		ktap_info "$desc: $mbps Mbit/s"
		printf -v "$var" '%s' "$mbps"
		ktap_pass "$desc"
	else
		printf -v "$var" '%s' ""
		ktap_fail "$desc"
	fi
}

iperf_case "iperf3 A->B over STT, inner MTU 1500, ${SECS}s" STT1500 \
	"$NS_B" "$IN_IP_B" "$NS_A" "$SECS"
iperf_case "iperf3 B->A over STT, inner MTU 1500, ${RSECS}s" STT1500R \
	"$NS_B" "$IN_IP_B" "$NS_A" "$RSECS" -R

stt_snap "$NS_A" "$TUN" "$TMP/a1"
stt_snap "$NS_B" "$TUN" "$TMP/b1"
ul_drops >"$TMP/d1"

# Counters for the A->B direction: what A sent, B must have received.
check_counters()
{
	local a0=$1 a1=$2 b0=$3 b1=$4 d0=$5 d1=$6 tx rx rxskb lrx ltx errs=0 n v
	local lost drops

	tx=$(stt_delta "$a0" "$a1" tx_frames)
	rx=$(stt_delta "$b0" "$b1" rx_frames)
	rxskb=$(stt_delta "$b0" "$b1" rx_skbs)
	ltx=$(stt_delta "$a0" "$a1" link.tx_packets)
	lrx=$(stt_delta "$b0" "$b1" link.rx_packets)
	ktap_info "A tx_frames +$tx, link tx_packets +$ltx;" \
		"B rx_frames +$rx, rx_skbs +$rxskb, link rx_packets +$lrx"
	if [ -z "$tx" ] || [ -z "$rx" ] || [ -z "$rxskb" ]; then
		ktap_info "ethtool -S $TUN lacks tx_frames/rx_frames/rx_skbs"
		return 1
	fi
	[ "$tx" -gt 0 ] && [ "$rx" -gt 0 ] || return 1
	[ -n "$ltx" ] && [ "$ltx" -gt 0 ] && [ -n "$lrx" ] && [ "$lrx" -gt 0 ] ||
		return 1
	# STT has no retransmission, and a veth loses nothing by itself: a
	# frame of A's can be missing in B only if the underlay dropped one of
	# its segments (a full backlog), which its drop counters show.  So:
	# frames lost <= segments dropped, which is 0 lost on a quiet host.
	lost=$((tx - rx))
	drops=$(($(cat "$d1") - $(cat "$d0")))
	ktap_info "A -> B frames lost: $lost; underlay segments dropped: $drops"
	if [ "$lost" -lt 0 ] || [ "$lost" -gt "$drops" ]; then
		ktap_info "B lost $lost of A's frames, underlay dropped $drops segments"
		return 1
	fi
	[ "$rxskb" -ge "$rx" ] ||
		{ ktap_info "rx_skbs < rx_frames"; return 1; }
	for n in link.rx_errors $STT_ERROR_COUNTERS; do
		v=$(stt_delta "$b0" "$b1" "$n")
		if [ -z "$v" ]; then
			ktap_info "B has no counter $n"
			errs=1
		elif [ "$v" -ne 0 ]; then
			ktap_info "B $n +$v"
			errs=1
		fi
	done
	[ "$errs" -eq 0 ]
}

if check_counters "$TMP/a0" "$TMP/a1" "$TMP/b0" "$TMP/b1" "$TMP/d0" "$TMP/d1"; then
	ktap_pass "counters moved (MTU 1500): tx_frames, rx_frames, rx_skbs, ip -s link; no frame lost but for underlay drops; no rx errors"
else
	ktap_info "A:"; stt_show_deltas "$TMP/a0" "$TMP/a1" | ktap_info
	ktap_info "B:"; stt_show_deltas "$TMP/b0" "$TMP/b1" | ktap_info
	ktap_fail "counters moved (MTU 1500): tx_frames, rx_frames, rx_skbs, ip -s link; no frame lost but for underlay drops; no rx errors"
fi

# Inner MTU 9000: one inner packet is a 9018+18-byte STT frame.
ktap_result "inner MTU 9000 accepted" stt_set_inner_mtu 9000
ktap_result "ping 8000-byte payload at inner MTU 9000" \
	stt_ping "$NS_A" "$IN_IP_B" 3 8000
# Inner MTU above the 1500 underlay: only STT's own segmentation makes
# this work, with DF set on the inner packet.
ktap_result "ping -M do 8900 bytes (inner DF, frame over the underlay MTU)" \
	stt_ping "$NS_A" "$IN_IP_B" 3 8900 -M "do"

iperf_case "iperf3 A->B over STT, inner MTU 9000, ${SECS}s" STT9000 \
	"$NS_B" "$IN_IP_B" "$NS_A" "$SECS"
iperf_case "iperf3 B->A over STT, inner MTU 9000, ${RSECS}s" STT9000R \
	"$NS_B" "$IN_IP_B" "$NS_A" "$RSECS" -R

stt_snap "$NS_A" "$TUN" "$TMP/a2"
stt_snap "$NS_B" "$TUN" "$TMP/b2"
ul_drops >"$TMP/d2"
if check_counters "$TMP/a1" "$TMP/a2" "$TMP/b1" "$TMP/b2" "$TMP/d1" "$TMP/d2"; then
	ktap_pass "counters moved (MTU 9000); no frame lost but for underlay drops; no rx errors"
else
	ktap_info "A:"; stt_show_deltas "$TMP/a1" "$TMP/a2" | ktap_info
	ktap_info "B:"; stt_show_deltas "$TMP/b1" "$TMP/b2" | ktap_info
	ktap_fail "counters moved (MTU 9000); no frame lost but for underlay drops; no rx errors"
fi

# The reference: the same veth pair without the tunnel.
iperf_case "iperf3 A->B plain underlay (reference), ${SECS}s" PLAIN \
	"$NS_B" "$UL_IP_B" "$NS_A" "$SECS"

ktap_info "throughput summary (TCG: only ratios within this run mean anything)"
ktap_info "$(printf '%-34s %10s %8s' "path" "Mbit/s" "STT/plain")"
for row in "STT MTU 1500 A->B:$STT1500" "STT MTU 1500 B->A:$STT1500R" \
	"STT MTU 9000 A->B:$STT9000" "STT MTU 9000 B->A:$STT9000R" \
	"plain underlay A->B:$PLAIN"; do
	name=${row%%:*}
	val=${row#*:}
	ktap_info "$(printf '%-34s %10s %8s' "$name" "${val:-n/a}" \
		"$(stt_ratio "$val" "$PLAIN")")"
done

ktap_info "$TUN in A after the run:"
ip -n "$NS_A" -s -d link show dev "$TUN" | ktap_info
nsx "$NS_A" ethtool -S "$TUN" 2>/dev/null | ktap_info
ktap_info "$(nsx "$NS_B" cat /proc/net/stt 2>/dev/null | tr -s "\n " " ")"

# Every frame was delivered or expired: nothing left in the table.
reasm_empty()
{
	local v

	v=$(nsx "$NS_B" awk '$1 == "reasm_bytes" { print $2 }' /proc/net/stt \
		2>/dev/null)
	[ "$v" = 0 ]
}
ktap_result "reassembly table empty afterwards (reasm_bytes == 0 in B)" \
	stt_wait_for 10 reasm_empty

# ---- input route reuse (IPv4; stt only) ------------------------------------

# B's segments skip the FIB once per (saddr, daddr, iif) and CPU: after the
# transfers above almost all of them were given the remembered route.
route_reused()
{
	local seg reused

	seg=$(stt_proc_val "$NS_B" rx_segments)
	reused=$(stt_proc_val "$NS_B" rx_route_reused)
	ktap_info "B: rx_segments $seg, rx_route_reused $reused"
	[ "${seg:-0}" -gt 100 ] && [ $((${reused:-0} * 10)) -ge $((seg * 9)) ]
}

# A second source: stt1 on A sends from another underlay address
# (192.0.2.11, key 2).  B gives every source on its underlay the same local
# input route (IPv4 caches it per nexthop), so the remembered route must
# take the new (saddr, daddr, iif) even when the route itself is the one
# it keeps.  Both tunnels are set up first (address changes retire every
# route), then a transfer over stt0 and one over stt1, both pinned to CPU 0
# (iperf3 -A 0,0): >= 90% of stt1's segments must reuse the route.
route_two_sources()
{
	local s0 s1 r0 r1

	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		addr add 192.0.2.11/24 dev $UL_A
		link add stt1 type stt remote $UL_IP_B local 192.0.2.11 key 2
		addr add 10.0.1.1/24 dev stt1
		link set stt1 up
	EOF
	stt_try ip -n "$NS_B" -batch - <<-EOF || return 1
		link add stt1 type stt remote 192.0.2.11 local $UL_IP_B key 2
		addr add 10.0.1.2/24 dev stt1
		link set stt1 up
	EOF
	stt_ping "$NS_A" 10.0.1.2 1 >/dev/null || return 1
	stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" 1 -A 0,0 >/dev/null || return 1
	s0=$(stt_proc_val "$NS_B" rx_segments) r0=$(stt_proc_val "$NS_B" rx_route_reused)
	stt_iperf "$NS_B" 10.0.1.2 "$NS_A" 2 -A 0,0 >/dev/null || return 1
	s1=$(stt_proc_val "$NS_B" rx_segments) r1=$(stt_proc_val "$NS_B" rx_route_reused)
	ktap_info "second source (192.0.2.11, stt1) after the first: B rx_segments +$((s1 - s0)), rx_route_reused +$((r1 - r0))"
	# Gone again: nothing of stt1's may reach B in the points below.
	stt_try ip -n "$NS_A" link del stt1 && stt_try ip -n "$NS_B" link del stt1 ||
		return 1
	[ $((s1 - s0)) -gt 100 ] && [ $(((r1 - r0) * 10)) -ge $(((s1 - s0) * 9)) ]
}

# ul_rx NS DEV: packets DEV received.
ul_rx() { nsx "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

# A routing change must reach the segments at once: B turns on strict
# reverse-path filtering and a prohibit route to A.  Every segment from A
# must now fail the reverse-path check in the full lookup -- none may be
# let through on the remembered route -- so STT sees none of them though
# B's underlay receives them.  With the route gone the tunnel works again
# and reuse resumes.
route_change()
{
	local s0 s1 u0 u1 r0 r1 mac ok=0

	# A must keep sending to B's address: pin its neighbour entry (B
	# answers no ARP from A while its route to A prohibits).
	mac=$(nsx "$NS_B" cat "/sys/class/net/$UL_B/address")
	stt_try ip -n "$NS_A" neigh replace "$UL_IP_B" lladdr "$mac" dev "$UL_A" \
		nud permanent || return 1
	stt_try nsx "$NS_B" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
		"net.ipv4.conf.$UL_B.rp_filter=1" || return 1
	stt_try ip -n "$NS_B" route add prohibit "$UL_IP_A/32" || return 1
	s0=$(stt_proc_val "$NS_B" rx_segments) u0=$(ul_rx "$NS_B" "$UL_B")
	nsx "$NS_A" ping -q -c 5 -i 0.2 -W 1 "$IN_IP_B" >/dev/null 2>&1 &&
		{ ktap_info "pings passed B's prohibit route to A"; ok=1; }
	s1=$(stt_proc_val "$NS_B" rx_segments) u1=$(ul_rx "$NS_B" "$UL_B")
	ktap_info "prohibit route to A on B: B's $UL_B rx +$((u1 - u0)), rx_segments +$((s1 - s0))"
	[ $((u1 - u0)) -ge 5 ] && [ "$s1" = "$s0" ] || ok=1
	stt_try ip -n "$NS_B" route del prohibit "$UL_IP_A/32" &&
		stt_try ip -n "$NS_A" neigh del "$UL_IP_B" dev "$UL_A" || return 1
	stt_try nsx "$NS_B" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		"net.ipv4.conf.$UL_B.rp_filter=0" || return 1
	r0=$(stt_proc_val "$NS_B" rx_route_reused)
	stt_ping "$NS_A" "$IN_IP_B" 5 || return 1
	r1=$(stt_proc_val "$NS_B" rx_route_reused)
	ktap_info "route removed: pings pass, rx_route_reused +$((r1 - r0))"
	[ "$ok" = 0 ] && [ $((r1 - r0)) -ge 3 ]
}

# With policy routing an input route may depend on the mark or the TOS:
# no reuse at all while any rule of the admin's exists.
route_rules()
{
	local r0 r1 s0 s1

	stt_try ip -n "$NS_B" rule add pref 100 from "$UL_IP_A" lookup main ||
		return 1
	r0=$(stt_proc_val "$NS_B" rx_route_reused) s0=$(stt_proc_val "$NS_B" rx_segments)
	stt_ping "$NS_A" "$IN_IP_B" 5 || return 1
	r1=$(stt_proc_val "$NS_B" rx_route_reused) s1=$(stt_proc_val "$NS_B" rx_segments)
	stt_try ip -n "$NS_B" rule del pref 100 || return 1
	ktap_info "with an ip rule on B: rx_segments +$((s1 - s0)), rx_route_reused +$((r1 - r0))"
	[ $((s1 - s0)) -ge 5 ] && [ "$r1" = "$r0" ]
}

if [ "$STT_KIND" = stt ]; then
	ktap_result "input route reuse: >= 90% of B's segments skipped the FIB (rx_route_reused)" \
		route_reused
	ktap_result "input route reuse follows the source: a second source address of A reuses it too (>= 90%)" \
		route_two_sources
	ktap_result "input route reuse follows routing: a prohibit route to A with rp_filter on B stops every segment at once; removed, the tunnel works" \
		route_change
	ktap_result "input route reuse off while custom FIB rules exist (ip rule)" \
		route_rules
else
	for t in "input route reuse" "second source" "routing change" "custom rules"; do
		ktap_skip "$t" "STT_KIND=$STT_KIND: stt's own counters"
	done
fi

check_dmesg
ktap_finished
