#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Network namespaces (the Open vSwitch STT broke on the second one):
#
# 1. Underlay and device in different netns.  UA and UB hold the veth
#    underlay; stt0 is created from UA straight into DA ("ip -n UA link add
#    stt0 netns DA type stt ..."), likewise UB -> DB.  DA's stt0 reports
#    its underlay (link_netnsid), and DA and DB talk through it.  Moving
#    stt0 from DA to DA2 keeps the tunnel working.  Then UA, the underlay,
#    is deleted first, with traffic running: DA2's stt0 must go away with
#    it (exit_batch unregisters devices whose underlay dies), cleanly.
# 2. Ten pairs of netns, all with the same addresses, port and key, run
#    at once with large pings (the senders' underlay has TSO off, so the
#    receivers reassemble): in every pair the frames one end sent are
#    exactly the frames the other end received, in both directions, so no
#    state leaks between netns.  Then all twenty netns are deleted while
#    their traffic still runs, and must really go: no process left in
#    them, and stt's nr_netns (/sys/module/stt/parameters) back to its
#    value before the pairs, i.e. the kernel ran their exit.
# dmesg must stay clean (no WARN, no "waiting for ... to become free").

source "$(dirname "$0")/lib.sh"

PAIRS=10

ktap_header
stt_require ethtool ping timeout jq
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 10

###########################################################################
# 1. Underlay netns != device netns
###########################################################################

split_topo()
{
	setup_ns UA UB DA DB DA2 || return 1
	stt_try ip link add "$UL_A" netns "$UA" mtu 1500 type veth \
		peer name "$UL_B" netns "$UB" mtu 1500 || return 1
	stt_try ip -n "$UA" -batch - <<-EOF || return 1
		addr add $UL_IP_A/24 dev $UL_A
		link set $UL_A up
		link add $TUN netns $DA type stt remote $UL_IP_B local $UL_IP_A key $STT_KEY
	EOF
	stt_try ip -n "$UB" -batch - <<-EOF || return 1
		addr add $UL_IP_B/24 dev $UL_B
		link set $UL_B up
		link add $TUN netns $DB type stt remote $UL_IP_A local $UL_IP_B key $STT_KEY
	EOF
	stt_try ip -n "$DA" -batch - <<-EOF || return 1
		addr add $IN_IP_A/24 dev $TUN
		link set $TUN up
	EOF
	stt_try ip -n "$DB" -batch - <<-EOF || return 1
		addr add $IN_IP_B/24 dev $TUN
		link set $TUN up
	EOF
}

if split_topo; then
	ktap_pass "stt0 created from underlay netns UA into DA (and UB into DB)"
else
	ktap_fail "stt0 created from underlay netns UA into DA (and UB into DB)"
	ktap_bail "cannot build the split topology"
fi

# link_net_ok: DA's stt0 names its underlay netns (UA), and UA holds no
# stt0 of its own.
link_net_ok()
{
	local js

	js=$(ip -n "$DA" -j -d link show dev "$TUN") || return 1
	ktap_info "DA: $(jq -c '.[0] | {ifname, link_netnsid, remote: .linkinfo.info_data.remote}' <<<"$js")"
	jq -e '.[0] | has("link_netnsid") and .linkinfo.info_data.remote == "'"$UL_IP_B"'"' \
		<<<"$js" >/dev/null || return 1
	! ip -n "$UA" link show dev "$TUN" >/dev/null 2>&1
}
ktap_result "DA's stt0 reports its underlay netns (link_netnsid), UA has no stt0" \
	link_net_ok
ktap_result "DA <-> DB through the UA-UB underlay" \
	stt_ping "$DA" "$IN_IP_B" 3 3000

move_ok()
{
	stt_try ip -n "$DA" link set "$TUN" netns "$DA2" || return 1
	stt_try ip -n "$DA2" -batch - <<-EOF || return 1
		addr add $IN_IP_A/24 dev $TUN
		link set $TUN up
	EOF
	stt_ping "$DA2" "$IN_IP_B" 3 3000
}
ktap_result "stt0 moved from DA to DA2 (ip link set netns): the tunnel still works" \
	move_ok

# The underlay dies first, with a ping running over the device.
# ip netns exec execs ping: $! is ping itself.
ip netns exec "$DA2" ping -q -i 0.05 -s 3000 -w 30 "$IN_IP_B" >/dev/null 2>&1 &
PING=$!
stt_track_pid "$PING"
stt_sleep 1
ip netns del "$UA"
dev_gone() { ! ip -n "$DA2" link show dev "$TUN" >/dev/null 2>&1; }
ktap_result "the underlay netns UA deleted first: DA2's stt0 goes with it" \
	stt_wait_for 30 dev_gone
kill "$PING" 2>/dev/null
wait "$PING" 2>/dev/null

###########################################################################
# 2. Ten pairs at once, same addresses, port and key
###########################################################################

# pair_up I: netns PA_I and PB_I with the standard topology; A's underlay
# sends real segments (TSO off).
pair_up()
{
	local a b

	setup_ns "PA_$1" "PB_$1" || return 1
	a=PA_$1 b=PB_$1
	a=${!a} b=${!b}
	stt_try ip link add "$UL_A" netns "$a" mtu 1500 type veth \
		peer name "$UL_B" netns "$b" mtu 1500 || return 1
	_stt_topo_end "$a" "$UL_A" "$UL_IP_A" "$UL_IP_B" "$IN_IP_A" "" || return 1
	_stt_topo_end "$b" "$UL_B" "$UL_IP_B" "$UL_IP_A" "$IN_IP_B" "" || return 1
	nsx "$a" ethtool -K "$UL_A" tso off gso off >/dev/null
	# The counts must be exact: no frame may time out because the host
	# kept a TCG vCPU from running for longer than the default 100 ms.
	stt_sysctl "$b" reasm_timeout_ms 5000
}

pairs_up()
{
	local i

	for ((i = 1; i <= PAIRS; i++)); do
		pair_up "$i" || return 1
	done
	ktap_info "$PAIRS pairs: $((2 * PAIRS)) netns, each pair with stt0 on port $STT_PORT, key $STT_KEY"
}
NR_NETNS0=$(cat /sys/module/stt/parameters/nr_netns)
ktap_result "$PAIRS pairs of netns with identical tunnels (addresses, port, key)" \
	pairs_up
ktap_info "stt's nr_netns: $NR_NETNS0 before the pairs, $(cat /sys/module/stt/parameters/nr_netns) with them"

ns_of() { local v="P${1}_$2"; echo "${!v}"; }

# All pairs at once: A pings B with 3000-byte frames (three segments).
pids=()
for ((i = 1; i <= PAIRS; i++)); do
	nsx "$(ns_of A "$i")" ping -q -c 20 -i 0.05 -s 3000 -W 3 "$IN_IP_B" \
		>"$TMP/ping.$i" 2>&1 &
	pids+=($!)
	stt_track_pid "$!"
done
all_ok=0
for ((i = 1; i <= PAIRS; i++)); do
	wait "${pids[i - 1]}" || { all_ok=1; ktap_info "pair $i: $(tail -2 "$TMP/ping.$i" | tr '\n' ' ')"; }
done
ktap_check "all $PAIRS pairs ping at once (3000-byte frames, 20 each)" "$all_ok"

# frames_match: in every pair, B received exactly the frames A sent and
# A received exactly the frames B sent; B reassembled A's frames.  (Polled:
# a neighbour probe may be in flight between the two snapshots.)
frames_match()
{
	local i rc=0 ta ra tb rb reasm

	for ((i = 1; i <= PAIRS; i++)); do
		stt_snap "$(ns_of A "$i")" "$TUN" "$TMP/a.$i"
		stt_snap "$(ns_of B "$i")" "$TUN" "$TMP/b.$i"
		ta=$(stt_val "$TMP/a.$i" tx_frames)
		ra=$(stt_val "$TMP/a.$i" rx_frames)
		tb=$(stt_val "$TMP/b.$i" tx_frames)
		rb=$(stt_val "$TMP/b.$i" rx_frames)
		reasm=$(stt_val "$TMP/b.$i" rx_reasm_frames)
		ktap_info "pair $i: A tx $ta rx $ra; B tx $tb rx $rb (reassembled $reasm)"
		[ -n "$ta" ] && [ "$ta" = "$rb" ] && [ "$tb" = "$ra" ] &&
			[ "${reasm:-0}" -ge 20 ] || rc=1
	done
	return "$rc"
}
ktap_result "every pair: frames received = frames the peer sent, both ways; B reassembled >= 20" \
	stt_wait_for 15 frames_match

# Delete every pair's netns with traffic running: the pings hold the
# netns until they are killed, and then cleanup_net tears down devices
# with frames in flight and partial frames held.
pids=()
for ((i = 1; i <= PAIRS; i++)); do
	ip netns exec "$(ns_of A "$i")" ping -q -i 0.05 -s 3000 -w 60 "$IN_IP_B" \
		>/dev/null 2>&1 &
	pids+=($!)
	stt_track_pid "$!"
done
stt_sleep 1
PAIR_INODES=$(for ((i = 1; i <= PAIRS; i++)); do
	stat -L -c %i "/run/netns/$(ns_of A "$i")" "/run/netns/$(ns_of B "$i")"
done)
for ((i = 1; i <= PAIRS; i++)); do
	echo "netns del $(ns_of A "$i")"
	echo "netns del $(ns_of B "$i")"
done | ip -batch - 2>/dev/null
kill -9 "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
# pairs_gone: the netns are really gone, not only their names: no
# /run/netns file, no process left in any of them (their nsfs inodes,
# taken before the deletion, appear in no /proc/*/ns/net), and stt's own
# count of netns with stt state (nr_netns, decremented when the netns's
# exit has unregistered its stt devices) is back to what it was before the
# pairs were made (or lower: UA, deleted above, may have gone since):
# the kernel has run cleanup_net for all twenty.
pairs_gone()
{
	local i ns ino inuse n

	for ((i = 1; i <= PAIRS; i++)); do
		for ns in "$(ns_of A "$i")" "$(ns_of B "$i")"; do
			[ -e "/run/netns/$ns" ] && { GONE_WHY="/run/netns/$ns"; return 1; }
		done
	done
	inuse=" $(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l\n' 2>/dev/null |
		tr -dc '0-9\n' | sort -u | tr '\n' ' ') "
	for ino in $PAIR_INODES; do
		[[ $inuse == *" $ino "* ]] && { GONE_WHY="a process in netns $ino"; return 1; }
	done
	n=$(cat /sys/module/stt/parameters/nr_netns)
	[ "$n" -le "$NR_NETNS0" ] || { GONE_WHY="nr_netns $n, $NR_NETNS0 before"; return 1; }
	return 0
}
GONE_WHY=""
if stt_wait_for 30 pairs_gone; then
	ktap_pass "all $((2 * PAIRS)) netns deleted with traffic running: gone (no process in them, stt's nr_netns back to <= $NR_NETNS0)"
else
	ktap_info "not gone: $GONE_WHY"
	ktap_fail "all $((2 * PAIRS)) netns deleted with traffic running: gone (no process in them, stt's nr_netns back to <= $NR_NETNS0)"
fi
# A device still referenced is reported after 10 s ("waiting for ... to
# become free"): give that time to show in dmesg.
stt_sleep 12
check_dmesg
ktap_finished
