#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# STT behind a stateful host firewall (draft-davie-stt-03 §4, §6).  STT
# looks like TCP without a handshake, and its sequence numbers are frame
# offsets: to conntrack most segments are invalid.  stt marks its segments
# (and ICMP errors quoting them) untracked before conntrack, on receive and
# on transmit, so the usual ruleset works and conntrack holds no entry for
# them.
#
#   A 192.0.2.1 / 2001:db8:7::1 == veth == B 192.0.2.2 / 2001:db8:7::2
#                                          B 198.51.100.2 == veth == C .3
#
# A and B load docs/design.md's ruleset: input policy drop, "ct state invalid
# drop", STT accepted from 192.0.2.0/24 and 2001:db8:7::/64 only, the
# tunnel devices accepted; output "ct state invalid drop".  They also set
# nf_conntrack_tcp_loose=0 (no mid-stream pickup): tracked, every STT
# segment would then be invalid.  (With the default loose=1, conntrack
# picks STT up as established connections, one entry per source port.)  stt0 (A-B,
# IPv4 underlay) and stt6 (A-B, IPv6 underlay) must carry ping and a
# segmented iperf3 (A's veth TSO off); nothing may be counted invalid, and
# conntrack must hold entries for the inner flows but none for port 7471.
# C, a remote the ruleset does not allow, is dropped by B's input chain
# (counted) and its tunnel does not work, until a rule allows it.

source "$(dirname "$0")/lib.sh"

UL6_A=2001:db8:7::1
UL6_B=2001:db8:7::2
IN6_IP_A=10.0.1.1
IN6_IP_B=10.0.1.2
C_IP=198.51.100.3
B_C_IP=198.51.100.2
IN_C_IP_B=10.0.2.2
IN_C_IP_C=10.0.2.3

ktap_header
stt_require nft conntrack iperf3 ping ethtool timeout
# A port nothing listens on, for the RST control.
CTL_PORT=$((STT_PORT + 1))
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
# The kernel's own request_module() cannot reach the host's modprobe from
# the VM's initramfs: load what the ruleset needs (ct expressions pull in
# nf_conntrack and nf_tables).
# (nft_objref: named counters, a module of its own on 6.1.)
for m in nft_ct nft_objref nf_conntrack_netlink; do
	modprobe -q "$m" 2>/dev/null
done
stt_module_present nft_ct || ktap_skip_all "no nft_ct (nftables conntrack) module"
stt_module_present nf_conntrack_netlink ||
	ktap_skip_all "no nf_conntrack_netlink (conntrack -L) module"
ktap_plan 12

# The ruleset of docs/design.md's "Host firewall" section, for one host.
ruleset()
{
	cat <<-EOF
		table inet stt_fw {
			chain input {
				type filter hook input priority filter; policy drop;
				ct state established,related accept
				ct state invalid counter name invalid_in drop
				iif lo accept
				meta l4proto { icmp, ipv6-icmp } accept
				ip saddr 192.0.2.0/24 tcp dport $STT_PORT accept
				ip6 saddr 2001:db8:7::/64 tcp dport $STT_PORT accept
				tcp dport $STT_PORT counter name stt_refused drop
				iifname "stt*" accept
			}
			chain output {
				type filter hook output priority filter; policy accept;
				tcp sport $STT_PORT tcp flags & rst == rst counter name stt_rst
				tcp sport $CTL_PORT tcp flags & rst == rst counter name ctl_rst
				ct state invalid counter name invalid_out drop
			}
			counter invalid_in { }
			counter invalid_out { }
			counter stt_refused { }
			counter stt_rst { }
			counter ctl_rst { }
		}
	EOF
}

# end6 NS UL LOCAL REMOTE INNER: IPv6 on NS's underlay UL, and stt6 over it.
end6()
{
	# "all" also sets "default" and every existing device.
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 || return 1
	stt_try ip -n "$1" -batch - <<-EOF
		addr add $3/64 dev $2 nodad
		link add stt6 type stt remote $4 local $3 key $STT_KEY
		addr add $5/24 dev stt6
		link set stt6 up
	EOF
}

topo()
{
	stt_topo_setup || return 1
	setup_ns NS_C || return 1
	stt_try ip link add vc netns "$NS_B" type veth peer name vc netns "$NS_C" ||
		return 1
	end6 "$NS_A" "$UL_A" "$UL6_A" "$UL6_B" "$IN6_IP_A" || return 1
	end6 "$NS_B" "$UL_B" "$UL6_B" "$UL6_A" "$IN6_IP_B" || return 1
	stt_try ip -n "$NS_B" -batch - <<-EOF || return 1
		addr add $B_C_IP/24 dev vc
		link set vc up
		link add stt1 type stt remote $C_IP local $B_C_IP key $STT_KEY
		addr add $IN_C_IP_B/24 dev stt1
		link set stt1 up
	EOF
	stt_try ip -n "$NS_C" -batch - <<-EOF || return 1
		addr add $C_IP/24 dev vc
		link set vc up
		link add $TUN type stt remote $B_C_IP local $C_IP key $STT_KEY
		addr add $IN_C_IP_C/24 dev $TUN
		link set $TUN up
	EOF
	# Segments on the wire, not one GSO skb: many out-of-window "TCP"
	# packets per frame for conntrack.
	stt_try ip netns exec "$NS_A" ethtool -K "$UL_A" tso off || return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$UL6_B" >/dev/null ||
		{ ktap_info "underlay ping $UL6_A -> $UL6_B fails"; return 1; }
}

if topo; then
	ktap_pass "topology: A-B over IPv4 and IPv6 underlays, C-B over IPv4"
else
	ktap_fail "topology: A-B over IPv4 and IPv6 underlays, C-B over IPv4"
	ktap_bail "cannot build the topology"
fi

load_fw()
{
	local ns

	for ns in "$NS_A" "$NS_B"; do
		ruleset | stt_try ip netns exec "$ns" nft -f - || return 1
		# The strict shape: no mid-stream pickup, so to conntrack any
		# STT segment would be invalid.
		stt_try ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 ||
			return 1
	done
	nsx "$NS_B" nft list chain inet stt_fw input | grep -q "ct state invalid"
}
ktap_result "ruleset loaded on A and B (policy drop, ct state invalid drop, tcp_loose 0)" \
	load_fw

# counter NS NAME: packets of nft named counter NAME.
counter()
{
	nsx "$1" nft list counter inet stt_fw "$2" |
		sed -n 's/.*packets \([0-9]\+\).*/\1/p'
}

# ct_entries NS PORT: conntrack entries with PORT as a source or
# destination port; nothing (an error) if the table cannot be read.
ct_entries()
{
	local out

	out=$(nsx "$1" conntrack -L 2>/dev/null) || return 1
	grep -c -E "(sport|dport)=$2( |$)" <<<"$out"
}

ktap_result "IPv4 underlay: ping over stt0 through both firewalls" \
	stt_ping "$NS_A" "$IN_IP_B" 10
ktap_result "IPv6 underlay: ping over stt6 through both firewalls" \
	stt_ping "$NS_A" "$IN6_IP_B" 10

iperf_both()
{
	local m4 m6

	m4=$(stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" 3) || return 1
	m6=$(stt_iperf "$NS_B" "$IN6_IP_B" "$NS_A" 3) || return 1
	ktap_info "iperf3 A -> B, segmented: stt0 $m4 Mbit/s, stt6 $m6 Mbit/s"
}
ktap_result "iperf3 over stt0 and stt6 (A's veth TSO off): data flows" iperf_both

no_invalid()
{
	local h ns c n bad=0

	for h in A B; do
		ns=NS_$h
		for c in invalid_in invalid_out; do
			n=$(counter "${!ns}" "$c")
			[ "$n" = 0 ] || { ktap_info "$h: $c: ${n:-?} packets"; bad=1; }
		done
	done
	return "$bad"
}
ktap_result "no packet counted ct-invalid on A or B (input and output)" no_invalid

# STT is not TCP (draft §4): the receive hook takes every segment to the
# port, so the stack never answers one with a RST.  The control shows that
# the same rule counts the RST of a refused connection (on A's lo).
no_rst()
{
	local h ns n bad=0

	for h in A B; do
		ns=NS_$h
		n=$(counter "${!ns}" stt_rst)
		[ "$n" = 0 ] || { ktap_info "$h: ${n:-?} RSTs from port $STT_PORT"; bad=1; }
	done
	if nsx "$NS_A" timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$CTL_PORT" 2>/dev/null; then
		ktap_info "control: a connection to port $CTL_PORT was accepted"
		bad=1
	fi
	n=$(counter "$NS_A" ctl_rst)
	ktap_info "control: a refused connection on A's lo: ctl_rst ${n:-?}"
	[ "${n:-0}" -ge 1 ] || bad=1
	return "$bad"
}
ktap_result "no TCP RST from port $STT_PORT on A or B (control: a refused connection's RST is counted)" \
	no_rst

ct_clean()
{
	local h ns stt inner

	for h in A B; do
		ns=NS_$h
		stt=$(ct_entries "${!ns}" "$STT_PORT")
		inner=$(ct_entries "${!ns}" "$STT_IPERF_PORT")
		ktap_info "conntrack in $h: ${stt:-?} entries for port" \
			"$STT_PORT, ${inner:-?} for the inner iperf3 port $STT_IPERF_PORT"
		[ "$stt" = 0 ] && [ "${inner:-0}" -gt 0 ] || return 1
	done
}
ktap_result "conntrack: no entry for STT (port $STT_PORT), entries for the inner flows" \
	ct_clean

refused()
{
	local n0 n1

	n0=$(counter "$NS_B" stt_refused)
	! nsx "$NS_C" ping -q -c 3 -i 0.2 -W 1 "$IN_C_IP_B" >/dev/null 2>&1 ||
		{ ktap_info "C's ping went through"; return 1; }
	n1=$(counter "$NS_B" stt_refused)
	# C's first frames are ARP requests (retried once a second).
	ktap_info "B's stt_refused counter: $n0 -> $n1"
	[ $((n1 - n0)) -ge 1 ]
}
ktap_result "remote C (198.51.100.3) not allowed: its STT is dropped by B's input chain" \
	refused

allow_c()
{
	stt_try ip netns exec "$NS_B" nft insert rule inet stt_fw input \
		ip saddr "$C_IP" tcp dport "$STT_PORT" accept || return 1
	# C's ARP for B's inner address failed while B dropped C's STT: a
	# FAILED neighbour entry turns the next ping into a local "host
	# unreachable" until it is resolved again.  Start from a clean
	# neighbour table, then every ping must be answered.
	stt_try ip -n "$NS_C" neigh flush to "$IN_C_IP_B" || return 1
	stt_ping "$NS_C" "$IN_C_IP_B" 5
}
ktap_result "C allowed by one more rule: its tunnel works" allow_c

ktap_result "still no ct-invalid packet, no conntrack entry for STT on B" \
	eval 'no_invalid && [ "$(ct_entries "$NS_B" "$STT_PORT")" = 0 ]'

check_dmesg
ktap_finished
