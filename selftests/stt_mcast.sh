#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Point-to-multipoint (draft-davie-stt-03 §3.4): a multicast remote.
#
#   A .1 --\
#   B .2 ---- br0 (netns BR, multicast snooping off)
#   C .3 ---/
#   D .4 --/     underlay 192.0.2.0/24 and 2001:db8:7::/64 on "ul"
#
# Every host has stt0 (remote 239.1.1.1 dev ul, inner 10.0.0.N/24) and
# stt6 (remote ff05::7471 dev ul, inner 10.0.1.N/24).  Checks, for both:
#   - each device joined its group on ul (ip maddr);
#   - A pings the inner broadcast address: B, C and D each receive every
#     echo request (Icmp InEchos +5 in each), which A sent once (A's
#     underlay sent one STT packet per frame: a tc flower counter on its
#     egress, so that an IGMP/MLD report is not taken for one);
#   - conservation: every host's stt device received exactly the frames
#     the three others sent, and none of its own.  A's devices have a root
#     qdisc (pfifo): sent from a qdisc, outside the xmit recursion that
#     makes sk_mc_loop() false, a frame to a group A is a member of is
#     looped back to A by the stack, and the receive hook must drop it;
#   - D's device down: D leaves the group (gone from ip maddr) and receives
#     nothing; up again: it rejoins;
#   - changelink to another group moves the membership;
#   - a multicast remote without dev, and "dev none" on a multicast
#     device, are refused with an extack message;
#   - every STT packet to a group arrives with TTL (hop limit) 1, the
#     default for a multicast remote (tc flower counters on B's ul).

source "$(dirname "$0")/lib.sh"

GROUP4=239.1.1.1
GROUP6=ff05::7471
HOSTS=(A B C D)
N=5

ktap_header
stt_require ping timeout
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
for m in bridge sch_ingress cls_flower act_gact; do
	modprobe -q "$m" 2>/dev/null
	stt_module_present "$m" || ktap_skip_all "no $m module"
done
stt_require tc jq
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 15

topo()
{
	local i h ns

	setup_ns NS_BR NS_A NS_B NS_C NS_D || return 1
	stt_try ip -n "$NS_BR" -batch - <<-EOF || return 1
		link add br0 type bridge mcast_snooping 0
		link set br0 up
	EOF
	for i in 0 1 2 3; do
		h=${HOSTS[i]}
		ns=NS_$h
		stt_try ip link add ul netns "${!ns}" type veth peer name "p$h" \
			netns "$NS_BR" || return 1
		stt_try ip -n "$NS_BR" link set "p$h" master br0 up || return 1
		# IPv6 on ul only: writing "all" sets "default" too, so set
		# that back before the stt devices exist.  Inner ND/MLD would
		# spoil the frame counts.
		nsx "${!ns}" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
			net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv6.conf.ul.router_solicitations=0 \
			net.ipv4.icmp_echo_ignore_broadcasts=0 >/dev/null || return 1
		stt_try ip -n "${!ns}" -batch - <<-EOF || return 1
			addr add 192.0.2.$((i + 1))/24 dev ul
			addr add 2001:db8:7::$((i + 1))/64 dev ul nodad
			link set ul up
			link add stt0 type stt remote $GROUP4 dev ul key $STT_KEY
			addr add 10.0.0.$((i + 1))/24 dev stt0
			link set stt0 up
			link add stt6 type stt remote $GROUP6 dev ul key $STT_KEY
			addr add 10.0.1.$((i + 1))/24 dev stt6
			link set stt6 up
		EOF
	done
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 192.0.2.4 >/dev/null ||
		{ ktap_info "underlay ping A -> D fails"; return 1; }
	stt_try ip netns exec "$NS_A" tc qdisc add dev stt0 root pfifo &&
		stt_try ip netns exec "$NS_A" tc qdisc add dev stt6 root pfifo ||
		return 1
	# B counts the STT packets to each group on ul with TTL (hop limit)
	# 1 (prefs 1, 3: they end the classification) and those with any
	# other TTL (prefs 2, 4: what the first filter let through).  Two
	# disjoint counts, so no ARP probe arriving between two reads can
	# make them disagree.
	stt_try ip netns exec "$NS_B" tc -batch - <<-EOF
		qdisc add dev ul clsact
		filter add dev ul ingress pref 1 protocol ip flower dst_ip $GROUP4 ip_proto tcp ip_ttl 1 action pass
		filter add dev ul ingress pref 2 protocol ip flower dst_ip $GROUP4 ip_proto tcp action pass
		filter add dev ul ingress pref 3 protocol ipv6 flower dst_ip $GROUP6 ip_proto tcp ip_ttl 1 action pass
		filter add dev ul ingress pref 4 protocol ipv6 flower dst_ip $GROUP6 ip_proto tcp action pass
	EOF
	# A counts the STT packets it sends to each group (pref 1: IPv4,
	# pref 2: IPv6), so that a late IGMP/MLD report or a neighbour
	# probe on ul does not pass for a segment.
	stt_try ip netns exec "$NS_A" tc -batch - <<-EOF
		qdisc add dev ul clsact
		filter add dev ul egress pref 1 protocol ip flower dst_ip $GROUP4 ip_proto tcp dst_port $STT_PORT action pass
		filter add dev ul egress pref 2 protocol ipv6 flower dst_ip $GROUP6 ip_proto tcp dst_port $STT_PORT action pass
	EOF
}

if topo; then
	ktap_pass "topology: A, B, C, D on a bridge, stt0 to $GROUP4 and stt6 to $GROUP6"
else
	ktap_fail "topology: A, B, C, D on a bridge, stt0 to $GROUP4 and stt6 to $GROUP6"
	ktap_bail "cannot build the topology"
fi

# member NS GROUP: GROUP is joined on NS's ul.
member() { ip -n "$1" maddr show dev ul | grep -qw "$2"; }

all_members()
{
	local h ns g

	for h in "${HOSTS[@]}"; do
		ns=NS_$h
		for g in "$GROUP4" "$GROUP6"; do
			member "${!ns}" "$g" || { ktap_info "$h: $g not joined on ul"; return 1; }
		done
	done
}
ktap_result "every device joined its group on ul (ip maddr: $GROUP4, $GROUP6)" all_members

# counts DEV [FILE]: "H rx tx" per host, DEV's packet counters; with
# FILE, each host's full counters also go to FILE.H (for diagnostics).
counts()
{
	local h ns

	for h in "${HOSTS[@]}"; do
		ns=NS_$h
		echo "$h $(nsx "${!ns}" cat "/sys/class/net/$1/statistics/rx_packets" \
			"/sys/class/net/$1/statistics/tx_packets" | tr '\n' ' ')"
		[ -z "${2:-}" ] || stt_snap "${!ns}" "$1" "$2.$h"
	done
}

# tc_packets NS DIR PREF: packets NS's ul filter PREF (ingress or egress)
# matched.
tc_packets()
{
	nsx "$1" tc -s -j filter show dev ul "$2" pref "$3" |
		jq '[.[] | .options.actions[0].stats.packets // empty] | add // 0'
}

# ul_quiet: A's underlay has sent nothing for 2 s (the IGMP/MLD reports
# and DAD that follow setup are over).
ul_tx() { nsx "$NS_A" cat /sys/class/net/ul/statistics/tx_packets; }
ul_quiet()
{
	local t0

	t0=$(ul_tx)
	stt_sleep 2
	[ "$(ul_tx)" = "$t0" ]
}

# in_echos NS: Icmp InEchos.
in_echos()
{
	nsx "$1" awk '$1 == "Icmp:" && !h { for (i = 1; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == "Icmp:" { for (i = 1; i <= NF; i++) if (n[i] == "InEchos") print $i }' \
		/proc/net/snmp
}

# conserved BEFORE AFTER [HOSTS...]: for each listed host, rx delta ==
# the sum of the other listed hosts' tx deltas.
conserved()
{
	local before=$1 after=$2 h o rx want ok=0

	shift 2
	declare -A drx dtx
	while read -r h rx tx; do drx[$h]=$((-rx)); dtx[$h]=$((-tx)); done <"$before"
	while read -r h rx tx; do
		drx[$h]=$((drx[$h] + rx))
		dtx[$h]=$((dtx[$h] + tx))
	done <"$after"
	for h in "$@"; do
		want=0
		for o in "$@"; do
			[ "$o" = "$h" ] || want=$((want + dtx[$o]))
		done
		ktap_info "$h: sent ${dtx[$h]}, received ${drx[$h]} (the others sent $want)"
		[ "${drx[$h]}" = "$want" ] && continue
		ok=1
		[ -f "${before%.sum}.$h" ] &&
			stt_show_deltas "${before%.sum}.$h" "${after%.sum}.$h" | ktap_info
	done
	return "$ok"
}

# broadcast DEV INNER_BCAST FAMILY: A pings the inner broadcast address N
# times; B, C, D each count N echo requests; the counters add up.
broadcast()
{
	local dev=$1 bcast=$2 h ns b0 b1 u0 u1 before after e0=() e1=() i ok=0
	local pref=1

	[ "$dev" = stt6 ] && pref=2

	before=$TMP/before.$dev after=$TMP/after.$dev
	for i in 1 2 3 4 5 6 7 8; do
		ul_quiet && break
		[ "$i" = 8 ] && ktap_info "A's underlay never quiet for 2 s"
	done
	for h in B C D; do ns=NS_$h; e0+=("$(in_echos "${!ns}")"); done
	u0=$(tc_packets "$NS_A" egress "$pref")
	counts "$dev" "$before" >"$before.sum"
	nsx "$NS_A" timeout 30 ping -q -b -c "$N" -i 0.5 -W 2 "$bcast" >/dev/null 2>&1
	stt_sleep 2
	counts "$dev" "$after" >"$after.sum"
	u1=$(tc_packets "$NS_A" egress "$pref")
	for h in B C D; do ns=NS_$h; e1+=("$(in_echos "${!ns}")"); done
	for i in 0 1 2; do
		ktap_info "${HOSTS[i + 1]}: Icmp InEchos +$((e1[i] - e0[i]))"
		[ $((e1[i] - e0[i])) = "$N" ] || ok=1
	done
	read -r _ _ b0 < <(grep '^A ' "$before.sum")
	read -r _ _ b1 < <(grep '^A ' "$after.sum")
	# Small frames, one segment each: one packet on A's wire per frame,
	# however many members receive it.
	ktap_info "A's $dev sent $((b1 - b0)) frames, A's ul $((u1 - u0)) STT packets"
	[ $((u1 - u0)) = $((b1 - b0)) ] || ok=1
	[ "$ok" = 0 ] && conserved "$before.sum" "$after.sum" A B C D
}

ktap_result "IPv4 group: A's $N broadcast pings, sent once, reach B, C and D (InEchos +$N each); rx = the others' tx on every host" \
	broadcast stt0 10.0.0.255
ktap_result "IPv6 group: A's $N broadcast pings, sent once, reach B, C and D (InEchos +$N each); rx = the others' tx on every host" \
	broadcast stt6 10.0.1.255

# settled DEV FILE: write "counts DEV" to FILE once two reads 2 s apart
# agree, so that no frame is between a sender's count and a receiver's.
# The hosts are read one after the other, a second or more apart on a slow
# kernel: a frame sent after A's read and received before C's is counted
# by C only.
settled()
{
	local i

	counts "$1" >"$2.prev"
	for i in 1 2 3 4 5 6 7 8; do
		stt_sleep 2
		counts "$1" >"$2"
		cmp -s "$2" "$2.prev" && return 0
		mv "$2" "$2.prev"
	done
	ktap_info "$1's counters still moving after 16 s"
	mv "$2.prev" "$2"
}

down_leaves()
{
	stt_try ip -n "$NS_D" link set stt0 down || return 1
	! member "$NS_D" "$GROUP4" || { ktap_info "D still a member of $GROUP4"; return 1; }
	settled stt0 "$TMP/d0.sum"
	counts stt0 "$TMP/d0" >/dev/null
	stt_ping "$NS_A" 10.0.0.2 3 || return 1
	settled stt0 "$TMP/d1.sum"
	counts stt0 "$TMP/d1" >/dev/null
	conserved "$TMP/d0.sum" "$TMP/d1.sum" A B C || return 1
	[ "$(grep '^D ' "$TMP/d0.sum")" = "$(grep '^D ' "$TMP/d1.sum")" ] ||
		{ ktap_info "D's counters moved while down"; return 1; }
}
ktap_result "D's stt0 down: D left $GROUP4, A-B traffic flows, D receives nothing" down_leaves

ktap_result "D's stt0 up again: rejoined, ping A -> D" \
	eval 'stt_try ip -n "$NS_D" link set stt0 up && member "$NS_D" "$GROUP4" &&
	stt_ping "$NS_A" 10.0.0.4 3'

move_group()
{
	local ns

	for ns in "$NS_A" "$NS_C"; do
		stt_try ip -n "$ns" link set stt0 type stt remote 239.1.1.2 || return 1
	done
	if ! member "$NS_A" 239.1.1.2 || member "$NS_A" "$GROUP4"; then
		ktap_info "A's membership did not move"
		return 1
	fi
	stt_ping "$NS_A" 10.0.0.3 3 || return 1
	# B is still on the old group: A no longer reaches it.
	! nsx "$NS_A" ping -q -c 2 -i 0.3 -W 1 10.0.0.2 >/dev/null 2>&1
}
ktap_result "changelink to 239.1.1.2 (A and C): membership moves, A reaches C, not B" move_group

ktap_result "A and C back on $GROUP4: ping A -> B" \
	eval 'stt_try ip -n "$NS_A" link set stt0 type stt remote "$GROUP4" &&
	stt_try ip -n "$NS_C" link set stt0 type stt remote "$GROUP4" &&
	member "$NS_A" "$GROUP4" && ! member "$NS_A" 239.1.1.2 &&
	stt_ping "$NS_A" 10.0.0.2 3'

# refused WHAT CMD...: CMD fails with an "Error:" naming dev.
refused()
{
	local out

	out=$("${@:2}" 2>&1) && { ktap_info "$1: accepted"; return 1; }
	ktap_info "$1: $out"
	grep -q "^Error: .*multicast remote requires an underlay device" <<<"$out"
}
ktap_result "multicast remote without dev: refused with extack (create)" \
	refused create ip -n "$NS_A" link add sttx type stt remote 239.1.1.9
ktap_result "IPv6 multicast remote without dev: refused with extack (create)" \
	refused create6 ip -n "$NS_A" link add sttx type stt remote ff05::9
ktap_result "dev none on a multicast device: refused with extack, still joined" \
	eval 'refused "dev none" ip -n "$NS_B" link set stt0 type stt dev none &&
	member "$NS_B" "$GROUP4"'

ttl_one()
{
	local t4 o4 t6 o6

	t4=$(tc_packets "$NS_B" ingress 1) o4=$(tc_packets "$NS_B" ingress 2)
	t6=$(tc_packets "$NS_B" ingress 3) o6=$(tc_packets "$NS_B" ingress 4)
	ktap_info "B's ul: to $GROUP4 $t4 STT packets with TTL 1, $o4 with another;" \
		"to $GROUP6 $t6 with hop limit 1, $o6 with another"
	[ "$t4" -gt 0 ] && [ "$t6" -gt 0 ] && [ "$o4" = 0 ] && [ "$o6" = 0 ]
}
ktap_result "outer TTL / hop limit 1 by default to a group (every STT packet on B's ul)" ttl_one

deleted_leaves()
{
	stt_try ip -n "$NS_B" link del stt6 || return 1
	! member "$NS_B" "$GROUP6"
}
ktap_result "B's stt6 deleted: B left $GROUP6" deleted_leaves

# The underlay device goes: so do the devices bound to it (as for vxlan),
# with their memberships; nothing is left naming its ifindex.
ul_deleted()
{
	stt_try ip -n "$NS_C" link del ul || return 1
	stt_wait_for 5 eval '! ip -n "$NS_C" link show stt0 >/dev/null 2>&1 &&
		! ip -n "$NS_C" link show stt6 >/dev/null 2>&1'
}
ktap_result "C's underlay ul deleted: C's stt0 and stt6 (dev ul) are deleted with it" \
	ul_deleted

check_dmesg
ktap_finished
