#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Underlay binding, "dev PHYS" (as vxlan's and geneve's):
#
#   A lo 203.0.113.1 == ul1 192.0.2.0/24 (route metric 10) == B lo 203.0.113.2
#                    == ul2 198.51.100.0/24 (metric 20) ==
#
# stt0 runs between the two loopback addresses.  Unbound, A's segments
# follow the better route (ul1); with "dev ul2" they leave on ul2.  The
# binding reads back (text and JSON), can be given at creation, and an
# unknown device is refused (ip, and raw netlink with an extack message).
# When the bound device is deleted, the device bound to it goes with it, as
# a vxlan device goes with its lower device; one created again without
# "dev" runs over ul1.

source "$(dirname "$0")/lib.sh"

NL=$STT_SELFTESTS/stt_nl.py
A_LO=203.0.113.1
B_LO=203.0.113.2

ktap_header
stt_require ethtool ping timeout jq
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 10

# end NS LO PEER_LO N: one host's side: ul1/ul2 addresses .N, LO on lo,
# two routes to PEER_LO, and stt0 between the loopbacks.
end()
{
	local ns=$1 lo=$2 peer=$3 n=$4 p=$((3 - $4))

	stt_try ip -n "$ns" -batch - <<-EOF
		addr add 192.0.2.$n/24 dev ul1
		addr add 198.51.100.$n/24 dev ul2
		addr add $lo/32 dev lo
		link set ul1 up
		link set ul2 up
		route add $peer/32 via 192.0.2.$p metric 10
		route add $peer/32 via 198.51.100.$p metric 20
		link add $TUN type stt remote $peer local $lo key $STT_KEY
		link set $TUN up
	EOF
}

topo()
{
	setup_ns NS_A NS_B || return 1
	stt_try ip link add ul1 netns "$NS_A" type veth peer name ul1 netns "$NS_B" ||
		return 1
	stt_try ip link add ul2 netns "$NS_A" type veth peer name ul2 netns "$NS_B" ||
		return 1
	end "$NS_A" "$A_LO" "$B_LO" 1 || return 1
	end "$NS_B" "$B_LO" "$A_LO" 2 || return 1
	# B receives A's segments on ul2 while its own route back is ul1.
	nsx "$NS_B" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.ul2.rp_filter=0 >/dev/null || return 1
	stt_try ip -n "$NS_A" addr add "$IN_IP_A/24" dev "$TUN" || return 1
	stt_try ip -n "$NS_B" addr add "$IN_IP_B/24" dev "$TUN"
}

if topo; then
	ktap_pass "topology: two underlay paths between A's and B's loopbacks"
else
	ktap_fail "topology: two underlay paths between A's and B's loopbacks"
	ktap_bail "cannot build the topology"
fi

# tx NAME: A's tx_packets on underlay NAME.
tx() { nsx "$NS_A" cat "/sys/class/net/$1/statistics/tx_packets"; }

# path_is USED OTHER: 10 inner pings A -> B succeed; A sent >= 10 packets
# on USED and fewer than 5 (ARP) on OTHER meanwhile.
path_is()
{
	local u0 o0 u1 o1

	u0=$(tx "$1") o0=$(tx "$2")
	stt_ping "$NS_A" "$IN_IP_B" 10 || return 1
	u1=$(tx "$1") o1=$(tx "$2")
	ktap_info "A tx packets: $1 +$((u1 - u0)), $2 +$((o1 - o0))"
	[ $((u1 - u0)) -ge 10 ] && [ $((o1 - o0)) -lt 5 ]
}

ktap_result "unbound: A's segments follow the better route (ul1)" path_is ul1 ul2

bind_rt()
{
	stt_try ip -n "$NS_A" link set "$TUN" type stt dev ul2 || return 1
	ip -n "$NS_A" -d link show dev "$TUN" | grep -q " dev ul2 " ||
		{ ktap_info "no 'dev ul2' in ip -d link show"; return 1; }
	ip -n "$NS_A" -j -d link show dev "$TUN" | jq -e '.[0].linkinfo.info_data |
		.link == "ul2" and .link_index > 0 and .remote == "'"$B_LO"'"' >/dev/null
}
ktap_result "changelink: dev ul2 reads back (text 'dev ul2', JSON link, link_index)" bind_rt
ktap_result "dev ul2: A's segments leave on ul2" path_is ul2 ul1

ktap_result "created with dev ul1: reads back" \
	eval 'stt_try ip -n "$NS_A" link add stt1 type stt remote 192.0.2.77 dev ul1 &&
	ip -n "$NS_A" -j -d link show dev stt1 |
	jq -e ".[0].linkinfo.info_data.link == \"ul1\"" >/dev/null'

refused_ip()
{
	local out

	out=$(ip -n "$NS_A" link add stt2 type stt remote 192.0.2.78 dev nosuch 2>&1) &&
		return 1
	ktap_info "ip: $out"
	[[ $out == *Error* ]] && ! ip -n "$NS_A" link show dev stt2 >/dev/null 2>&1
}
ktap_result "dev nosuch: refused (ip)" refused_ip

refused_raw()
{
	local out

	out=$(nsx "$NS_A" "$NL" --change "$TUN" LINK=u32:99999 2>&1) && return 1
	ktap_info "raw LINK 99999 on $TUN: $out"
	[[ $out == *"msg='"*"not found"* ]] &&
		ip -n "$NS_A" -j -d link show dev "$TUN" |
		jq -e '.[0].linkinfo.info_data.link == "ul2"' >/dev/null
}
ktap_result "changelink LINK 99999 (raw netlink): refused with an extack message, dev ul2 kept" \
	refused_raw

# The bound device goes away: so does the device bound to it (as vxlan's
# does), rather than keep an ifindex that names nothing.  Created again
# without "dev", the tunnel runs over ul1.
gone()
{
	stt_try ip -n "$NS_A" link del ul2 || return 1
	stt_wait_for 5 eval '! ip -n "$NS_A" link show "$TUN" >/dev/null 2>&1'
}
ktap_result "bound device ul2 deleted: $TUN (dev ul2) is deleted with it" gone
again()
{
	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		link add $TUN type stt remote $B_LO local $A_LO key $STT_KEY
		addr add $IN_IP_A/24 dev $TUN
		link set $TUN up
	EOF
	stt_ping "$NS_A" "$IN_IP_B" 3
}
ktap_result "$TUN created again without dev: pings pass over ul1" again

check_dmesg
ktap_finished
