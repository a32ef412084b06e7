#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU on a routed IPv6 underlay (draft-davie-stt-03 §2.1, §4; the
# checks follow the kernel's pmtu.sh):
#
#   A 2001:db8:a::1 --(1500)-- R --(1280)-- 2001:db8:b::1 B
#
# stt0 runs A <-> B with an inner MTU of 9000.  R cannot forward A's
# 1500-byte segments onto the 1280 link and answers "packet too big".
# TCP would drop that (no socket); stt.ko applies it to A's route to B.
# Asserted: the ICMP is counted (icmp_pmtu_updates), A's route to B learns
# mtu 1280, the inner MTU stays 9000 (no geneve-style clamping), inner
# 8000-byte pings and an 8 MiB sha256-checked transfer get through, and
# every STT segment R forwards onto the 1280 link fits it.  An inner DF
# packet larger than stt0's own MTU gets the local "message too long".
# Then the same over an IPv4 path with "df set": R's "fragmentation
# needed" is counted and A's IPv4 route to B learns mtu 1280.

source "$(dirname "$0")/lib.sh"

A6=2001:db8:a::1
RA6=2001:db8:a::2
RB6=2001:db8:b::2
B6=2001:db8:b::1

ktap_header
stt_require ping ss timeout dumpcap tshark
[ -x "$STT_PY" ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"

ktap_plan 12

topo()
{
	local ns

	setup_ns NS_A NS_R NS_B || return 1
	stt_ipv6_on "$NS_A" "$NS_R" "$NS_B" || return 1
	nsx "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	stt_try ip link add veth_a netns "$NS_A" mtu 1500 type veth \
		peer name veth_ra netns "$NS_R" mtu 1500 || return 1
	stt_try ip link add veth_b netns "$NS_B" mtu 1280 type veth \
		peer name veth_rb netns "$NS_R" mtu 1280 || return 1
	stt_try ip -n "$NS_A" addr add "$A6/64" dev veth_a nodad || return 1
	stt_try ip -n "$NS_R" addr add "$RA6/64" dev veth_ra nodad || return 1
	stt_try ip -n "$NS_R" addr add "$RB6/64" dev veth_rb nodad || return 1
	stt_try ip -n "$NS_B" addr add "$B6/64" dev veth_b nodad || return 1
	stt_try ip -n "$NS_A" link set veth_a up || return 1
	stt_try ip -n "$NS_R" link set veth_ra up || return 1
	stt_try ip -n "$NS_R" link set veth_rb up || return 1
	stt_try ip -n "$NS_B" link set veth_b up || return 1
	stt_try ip -n "$NS_A" -6 route add default via "$RA6" || return 1
	stt_try ip -n "$NS_B" -6 route add default via "$RB6" || return 1
	# Segments as a NIC would send them, and R's capture sees each one.
	nsx "$NS_A" ethtool -K veth_a tso off >/dev/null
	nsx "$NS_B" ethtool -K veth_b tso off >/dev/null

	stt_try ip -n "$NS_A" link add "$TUN" type stt remote "$B6" local "$A6" \
		key "$STT_KEY" || return 1
	stt_try ip -n "$NS_B" link add "$TUN" type stt remote "$A6" local "$B6" \
		key "$STT_KEY" || return 1
	for ns in "$NS_A" "$NS_B"; do
		stt_try ip -n "$ns" link set "$TUN" mtu 9000 up || return 1
	done
	stt_try ip -n "$NS_A" addr add "$IN_IP_A/24" dev "$TUN" || return 1
	stt_try ip -n "$NS_B" addr add "$IN_IP_B/24" dev "$TUN" || return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$B6" >/dev/null ||
		{ ktap_info "underlay ping $A6 -> $B6 fails"; return 1; }
}

if topo; then
	ktap_pass "topology: A -(1500)- R -(1280)- B over IPv6, $TUN inner MTU 9000"
else
	ktap_fail "topology: A -(1500)- R -(1280)- B over IPv6, $TUN inner MTU 9000"
	ktap_bail "cannot build the topology"
fi

PCAP=$TMP/rb.pcap
stt_cap_start "$NS_R" veth_rb "$PCAP" "ip6 and tcp dst port $STT_PORT" 5000 120

# learn_path LABEL INNER FAMILY DST ERROR: the first large frame is lost
# at R and teaches A the path MTU; then inner 8000-byte pings to INNER
# pass, A counted R's ERROR, and A's route to DST has mtu 1280.
learn_path()
{
	local label=$1 inner=$2 fam=$3 dst=$4 err=$5 icmp0 icmp1 route

	icmp0=$(stt_proc_val "$NS_A" icmp_pmtu_updates)
	nsx "$NS_A" ping -q -c 2 -i 0.5 -W 1 -s 8000 "$inner" >/dev/null 2>&1
	ktap_result "${label}inner 8000-byte pings across the 1280-byte link, once the path MTU is known" \
		stt_ping "$NS_A" "$inner" 3 8000
	icmp1=$(stt_proc_val "$NS_A" icmp_pmtu_updates)
	route=$(ip -n "$NS_A" "$fam" route get "$dst" 2>&1)
	ktap_info "A: icmp_pmtu_updates ${icmp0:-?} -> ${icmp1:-?}; ip $fam route get $dst: $(tr -s ' \n' ' ' <<<"$route")"
	ktap_check "${label}A applied R's \"$err\" (icmp_pmtu_updates moved)" \
		"$([ "${icmp1:-0}" -gt "${icmp0:-0}" ] && echo 0)"
	ktap_check "${label}A's route to B learned mtu 1280" \
		"$(grep -q 'mtu 1280' <<<"$route" && echo 0)"
}
learn_path "" "$IN_IP_B" -6 "$B6" "packet too big"

MTU=$(ip -n "$NS_A" -o link show "$TUN" | grep -o 'mtu [0-9]*')
ktap_check "the inner MTU is not clamped to the path ($MTU)" \
	"$([ "$MTU" = "mtu 9000" ] && echo 0)"

FILE=$TMP/data
stt_make_file "$FILE" 8
ktap_result "8 MiB A->B with the right sha256 across the 1280-byte link" \
	stt_xfer_noted "$NS_B" "$IN_IP_B" "$NS_A" "$FILE" 5301
stt_cap_stop

SIZES=$(tshark -n -r "$PCAP" -T fields -e ipv6.plen 2>/dev/null |
	awk '{ n++; if ($1 + 40 > max) max = $1 + 40 } END { printf "%d %d", n, max }')
read -r N MAX <<<"$SIZES"
ktap_info "R -> B: $N STT segments, largest IPv6 packet $MAX bytes"
ktap_check "every STT segment on the 1280-byte link fits it (>= 1000 segments)" \
	"$([ "${N:-0}" -ge 1000 ] && [ "${MAX:-99999}" -le 1280 ] && echo 0)"

OUT=$(nsx "$NS_A" ping -c 1 -W 1 -M "do" -s 9000 "$IN_IP_B" 2>&1)
ktap_info "ping -M do -s 9000: $(tail -2 <<<"$OUT" | tr '\n' ' ')"
ktap_check "an inner DF packet over stt0's MTU gets the local \"message too long, mtu=9000\"" \
	"$(grep -qi 'message too long.*mtu=9000' <<<"$OUT" && echo 0)"

###########################################################################
# The same path over IPv4, with "df set": R cannot fragment A's 1500-byte
# segments, answers "fragmentation needed", and A applies it.  (With the
# default, df unset, R would fragment them instead.)
###########################################################################

A4=198.51.100.1
RA4=198.51.100.2
RB4=203.0.113.2
B4=203.0.113.1
# end4 NS DEV ADDR GW REMOTE INNER: one end's IPv4 underlay address on
# DEV and default route, and its stt4 (df set, inner MTU 9000).
end4()
{
	stt_try ip -n "$1" -batch - <<-EOF
		addr add $3/24 dev $2
		route add default via $4
		link add stt4 type stt remote $5 local $3 key 4 df set
		link set stt4 mtu 9000 up
		addr add $6/24 dev stt4
	EOF
}

topo4()
{
	nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
	stt_try ip -n "$NS_R" -batch - <<-EOF || return 1
		addr add $RA4/24 dev veth_ra
		addr add $RB4/24 dev veth_rb
	EOF
	end4 "$NS_A" veth_a "$A4" "$RA4" "$B4" 10.4.0.1 || return 1
	end4 "$NS_B" veth_b "$B4" "$RB4" "$A4" 10.4.0.2 || return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$B4" >/dev/null ||
		{ ktap_info "underlay ping $A4 -> $B4 fails"; return 1; }
}

if topo4; then
	learn_path "IPv4, df set: " 10.4.0.2 -4 "$B4" "fragmentation needed"
else
	for i in 1 2 3; do
		ktap_fail "IPv4, df set: not run (no topology)"
	done
fi

check_dmesg
ktap_finished
