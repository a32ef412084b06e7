#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host's policies on STT's receive and transmit paths: IPsec, NAT,
# sysctl ownership, and an inner header the sender cannot trust.
#
#   A 192.0.2.1 == veth == B 192.0.2.2     stt0 (port 7471), stt1 (port
#                                          7472, ttl inherit, MTU 9000)
#   C 198.51.100.1 -- R -- 203.0.113.2 S   R routes and masquerades out of
#                                          its S side; R has an stt device
#
# - IPsec (draft §5 leaves STT's security to IPsec).  STT segments are
#   taken at LOCAL_IN, before TCP's own xfrm4_policy_check(), so the hook
#   must check the inbound policy itself.  B requires ESP for TCP to
#   7471 from A: A's plaintext STT (a ping over stt0) must not be
#   answered, every segment A sent is counted in B's rx_xfrm_policy and
#   by the xfrm MIB (XfrmInTmplMismatch), nothing reaches B's stt0.
#   With ESP transport SAs both ways and policies on both ends, the same
#   ping gets every reply, only ESP leaves A's underlay (tc flower on
#   its egress) and rx_xfrm_policy stays put on both ends.
# - Transit traffic to port 7471.  The PRE_ROUTING hook marks STT
#   segments untracked so that conntrack leaves them alone, but only
#   those for a local address: a TCP connection from C to S:7471 that R
#   forwards must keep its conntrack entry, hence R's masquerade (S has
#   no route back to C).  iperf3 C -> S:7471 must pass and R's conntrack
#   must hold the NATed entry (reply to R's address).
# - net.stt.* sysctls are writable only in a netns of the initial user
#   namespace (reassembly memory is not charged to a memcg): in a netns
#   of "unshare -Urn" reasm_high_thresh shows the default but cannot be
#   written, not even by that namespace's root.  reasm_high_thresh is capped at 1 GiB: 2 GiB is refused and
#   leaves the value alone, 1 GiB is taken.
# - Transmit reads the inner IP header (ttl inherit) only after pulling
#   it: a 5000-byte IPv4 frame (TTL 33) from a packet socket on stt1 has
#   only its Ethernet header in the linear area, yet every outer segment
#   must carry TTL 33 (tc flower on B's underlay ingress, A's underlay
#   TSO off so that the segments arrive one by one) and B's stt1 must
#   receive the frames.  Frames cut 10 bytes after an IPv4 EtherType
#   are counted in stt1's tx_errors, one each, and nothing leaves A.

source "$(dirname "$0")/lib.sh"

# Second tunnel A-B, for the packet-socket frames: a port of its own, so
# that the IPsec policies on port 7471 do not see it.
TUN1=stt1
PORT1=$((STT_PORT + 1))
IN1_IP_A=10.0.3.1
# Not B's: B neither answers nor forwards (no ICMP back over stt1).
IN1_DST=10.0.3.99
NBIG=3
NTRUNC=5

# C -- R -- S
C_IP=198.51.100.1
R_C_IP=198.51.100.254
R_S_IP=203.0.113.1
S_IP=203.0.113.2

ktap_header
stt_require tc jq ethtool iperf3 ping nft conntrack unshare timeout
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
[ -x "$STT_PY" ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
# The kernel's own request_module() does not work in the VM: load every
# module used.  ESP instantiates echainiv(authenc(hmac(sha256),cbc(aes)));
# echainiv seeds its salt from the default RNG, drbg (a module on 6.1),
# whose self-tests need sha512 and ctr(aes): loaded first, or the tests
# fail with a WARNING.  modprobe accepts what is built in as well (hmac,
# sha256, cbc and aes in Debian's kernels; sha512, ctr and drbg in 6.12).
for m in sch_ingress cls_flower act_gact; do
	modprobe -q "$m" || ktap_skip_all "no $m module"
done
# 7.x builds sha256, sha512 and aes in under those names (6.x: *_generic
# modules) and has no drbg at all: its echainiv no longer seeds from it.
ipsec_mod()
{
	local m

	for m in "$@"; do
		modprobe -q "$m" 2>/dev/null && return 0
		grep -q "/$m\.ko\$" "/lib/modules/$(uname -r)/modules.builtin" && return 0
	done
	return 1
}
IPSEC_MISSING=""
for spec in xfrm_user esp4 authenc echainiv hmac sha256_generic,sha256 cbc \
	aes_generic,aes sha512_generic,sha512 ctr; do
	ipsec_mod ${spec//,/ } || IPSEC_MISSING+=" $spec"
done
# drbg: wherever the kernel has it (a module on 6.1, built in on 6.12).
if modprobe -n -q drbg 2>/dev/null ||
	grep -q '/drbg\.ko$' "/lib/modules/$(uname -r)/modules.builtin"; then
	ipsec_mod drbg || IPSEC_MISSING+=" drbg"
fi
[ -r /proc/net/xfrm_stat ] || IPSEC_MISSING+=" CONFIG_XFRM_STATISTICS"
NAT_MISSING=""
for m in nft_chain_nat nft_masq nf_conntrack_netlink; do
	modprobe -q "$m" 2>/dev/null || NAT_MISSING+=" $m"
done
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 10

# The C -- R -- S routed path, R with an stt device (its hooks registered)
# and a masquerade out of its S side.
topo_nat()
{
	setup_ns NS_C NS_R NS_S || return 1
	stt_try ip link add c0 netns "$NS_C" type veth peer name rc netns "$NS_R" ||
		return 1
	stt_try ip link add rs netns "$NS_R" type veth peer name s0 netns "$NS_S" ||
		return 1
	stt_try ip -n "$NS_C" -batch - <<-EOF || return 1
		addr add $C_IP/24 dev c0
		link set c0 up
		route add default via $R_C_IP
	EOF
	# S: only its own subnet, no route to C.
	stt_try ip -n "$NS_S" -batch - <<-EOF || return 1
		addr add $S_IP/24 dev s0
		link set s0 up
	EOF
	stt_try ip -n "$NS_R" -batch - <<-EOF || return 1
		addr add $R_C_IP/24 dev rc
		link set rc up
		addr add $R_S_IP/24 dev rs
		link set rs up
		link add $TUN type stt remote 203.0.113.9 key 1
		link set $TUN up
	EOF
	stt_try ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || return 1
	stt_try ip netns exec "$NS_R" nft -f - <<-EOF || return 1
		table ip stt_nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "rs" masquerade
			}
		}
	EOF
}

topo()
{
	local mac_a mac_b

	stt_topo_setup || return 1
	mac_a=$(nsx "$NS_A" cat "/sys/class/net/$TUN/address") || return 1
	mac_b=$(nsx "$NS_B" cat "/sys/class/net/$TUN/address") || return 1
	# Static neighbours: the only STT frames on stt0 are the pings'.
	# stt1: no address, no ARP; it carries the packet socket's frames
	# only.  A's underlay TSO off: its segments reach B one by one.
	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		neigh replace $IN_IP_B lladdr $mac_b dev $TUN nud permanent
		link add $TUN1 type stt remote $UL_IP_B local $UL_IP_A key 0x77 dstport $PORT1 ttl inherit
		link set $TUN1 mtu 9000 arp off up
	EOF
	stt_try ip -n "$NS_B" -batch - <<-EOF || return 1
		neigh replace $IN_IP_A lladdr $mac_a dev $TUN nud permanent
		link add $TUN1 type stt remote $UL_IP_A local $UL_IP_B key 0x77 dstport $PORT1
		link set $TUN1 mtu 9000 arp off up
	EOF
	stt_try ip netns exec "$NS_A" ethtool -K "$UL_A" tso off || return 1
	# A's egress: pref 1 plaintext STT on 7471, pref 2 ESP, pref 3 STT
	# on 7472 (one skb per frame: tc runs before GSO).  B's ingress:
	# pref 1 segments to 7472 with TTL 33, pref 2 any other segment to
	# 7472 ("pass" ends the classification: disjoint counts).
	stt_try tc -n "$NS_A" -batch - <<-EOF || return 1
		qdisc add dev $UL_A clsact
		filter add dev $UL_A egress pref 1 protocol ip flower ip_proto tcp dst_port $STT_PORT action pass
		filter add dev $UL_A egress pref 2 protocol ip flower ip_proto 0x32 action pass
		filter add dev $UL_A egress pref 3 protocol ip flower ip_proto tcp dst_port $PORT1 action pass
	EOF
	stt_try tc -n "$NS_B" -batch - <<-EOF || return 1
		qdisc add dev $UL_B clsact
		filter add dev $UL_B ingress pref 1 protocol ip flower ip_proto tcp dst_port $PORT1 ip_ttl 33 action pass
		filter add dev $UL_B ingress pref 2 protocol ip flower ip_proto tcp dst_port $PORT1 action pass
	EOF
	[ -n "$NAT_MISSING" ] || topo_nat
}

if topo; then
	ktap_pass "topology: A-B (stt0 port $STT_PORT, stt1 port $PORT1 ttl inherit), C-R-S with an stt device and NAT on R"
else
	ktap_fail "topology: A-B (stt0 port $STT_PORT, stt1 port $PORT1 ttl inherit), C-R-S with an stt device and NAT on R"
	ktap_bail "cannot build the topology"
fi

# tc_snap NS DEV DIR FILE: "pref packets" of every filter of DEV's DIR
# (ingress, egress) hook, one a line.  One tc and one jq.
tc_snap()
{
	nsx "$1" tc -s -j filter show dev "$2" "$3" |
		jq -r '.[] | select(.options.actions != null) |
			"\(.pref) \(.options.actions[0].stats.packets)"' >"$4"
}

# xfrm_snap NS FILE: the netns's xfrm MIB ("XfrmInError 0" lines).
xfrm_snap() { nsx "$1" cat /proc/net/xfrm_stat >"$2"; }

# ---- IPsec inbound policy ------------------------------------------------

XFRM_SEL=(proto tcp dport "$STT_PORT" tmpl proto esp mode transport)
AUTH="auth-trunc hmac(sha256) 0x$(printf '%064x' 0x5354542d61757468) 128"
ENC="enc cbc(aes) 0x$(printf '%032x' 0x5354542d656e63)"

plaintext_refused()
{
	local out n_tx n_pol n_seg n_tmpl

	stt_try ip -n "$NS_B" xfrm policy add dir in src "$UL_IP_A" dst "$UL_IP_B" \
		"${XFRM_SEL[@]}" || return 1
	tc_snap "$NS_A" "$UL_A" egress "$TMP/ta0"
	stt_snap "$NS_B" "$TUN" "$TMP/b0"
	xfrm_snap "$NS_B" "$TMP/x0"
	if out=$(nsx "$NS_A" ping -q -c 3 -i 0.2 -W 1 "$IN_IP_B" 2>&1); then
		ktap_info "plaintext ping answered: $(tail -2 <<<"$out")"
		return 1
	fi
	tc_snap "$NS_A" "$UL_A" egress "$TMP/ta1"
	n_tx=$(stt_delta "$TMP/ta0" "$TMP/ta1" 1)
	# B's softirq may still be at it.
	stt_wait_for 5 eval '[ "$(stt_proc_val "$NS_B" rx_xfrm_policy)" -ge \
		"$(($(stt_val "$TMP/b0" proc.rx_xfrm_policy) + n_tx))" ]'
	stt_snap "$NS_B" "$TUN" "$TMP/b1"
	xfrm_snap "$NS_B" "$TMP/x1"
	n_pol=$(stt_delta "$TMP/b0" "$TMP/b1" proc.rx_xfrm_policy)
	n_seg=$(stt_delta "$TMP/b0" "$TMP/b1" proc.rx_segments)
	n_tmpl=$(stt_delta "$TMP/x0" "$TMP/x1" XfrmInTmplMismatch)
	ktap_info "A sent $n_tx plaintext STT segments; B: rx_segments +$n_seg," \
		"rx_xfrm_policy +${n_pol:-?}, rx_frames +$(stt_delta "$TMP/b0" "$TMP/b1" rx_frames)"
	ktap_info "B's xfrm MIB:"
	stt_show_deltas "$TMP/x0" "$TMP/x1" | ktap_info
	[ "${n_tx:-0}" -ge 3 ] && [ -n "$n_pol" ] && [ "$n_pol" -ge "$n_tx" ] &&
		[ "${n_tmpl:-0}" -ge "$n_tx" ] &&
		[ "$(stt_delta "$TMP/b0" "$TMP/b1" rx_frames)" = 0 ]
}

esp_ping()
{
	local ns out n_tx n_esp rc=0

	for ns in "$NS_A" "$NS_B"; do
		stt_try ip -n "$ns" -batch - <<-EOF || return 1
			xfrm state add src $UL_IP_A dst $UL_IP_B proto esp spi 0x7471a mode transport $AUTH $ENC
			xfrm state add src $UL_IP_B dst $UL_IP_A proto esp spi 0x7471b mode transport $AUTH $ENC
		EOF
	done
	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		xfrm policy add dir out src $UL_IP_A dst $UL_IP_B ${XFRM_SEL[*]}
		xfrm policy add dir in src $UL_IP_B dst $UL_IP_A ${XFRM_SEL[*]}
	EOF
	stt_try ip -n "$NS_B" xfrm policy add dir out src "$UL_IP_B" dst "$UL_IP_A" \
		"${XFRM_SEL[@]}" || return 1
	tc_snap "$NS_A" "$UL_A" egress "$TMP/ta2"
	stt_snap "$NS_A" "$TUN" "$TMP/a2"
	stt_snap "$NS_B" "$TUN" "$TMP/b2"
	out=$(nsx "$NS_A" ping -q -c 5 -i 0.2 -w 20 "$IN_IP_B" 2>&1)
	grep -q " 5 received" <<<"$out" ||
		{ ktap_info "ping over ESP: $(grep -E 'transmitted|loss' <<<"$out")"; rc=1; }
	tc_snap "$NS_A" "$UL_A" egress "$TMP/ta3"
	stt_snap "$NS_A" "$TUN" "$TMP/a3"
	stt_snap "$NS_B" "$TUN" "$TMP/b3"
	n_tx=$(stt_delta "$TMP/ta2" "$TMP/ta3" 1)
	n_esp=$(stt_delta "$TMP/ta2" "$TMP/ta3" 2)
	ktap_info "A's underlay: $n_esp ESP packets, $n_tx plaintext STT;" \
		"rx_xfrm_policy A +$(stt_delta "$TMP/a2" "$TMP/a3" proc.rx_xfrm_policy)" \
		"B +$(stt_delta "$TMP/b2" "$TMP/b3" proc.rx_xfrm_policy)"
	[ "$n_tx" = 0 ] && [ "${n_esp:-0}" -ge 5 ] || rc=1
	[ "$(stt_delta "$TMP/a2" "$TMP/a3" proc.rx_xfrm_policy)" = 0 ] &&
		[ "$(stt_delta "$TMP/b2" "$TMP/b3" proc.rx_xfrm_policy)" = 0 ] || rc=1
	return "$rc"
}

if [ -z "$IPSEC_MISSING" ]; then
	ktap_result "IPsec: B requires ESP for port $STT_PORT: plaintext STT refused, counted (rx_xfrm_policy, XfrmInTmplMismatch)" \
		plaintext_refused
	ktap_result "IPsec: STT inside ESP transport both ways: every ping answered, no plaintext, rx_xfrm_policy unchanged" \
		esp_ping
else
	ktap_skip "IPsec: B requires ESP for port $STT_PORT: plaintext STT refused, counted" \
		"missing:$IPSEC_MISSING"
	ktap_skip "IPsec: STT inside ESP transport both ways: every ping answered" \
		"missing:$IPSEC_MISSING"
fi

# ---- transit TCP to port 7471 keeps conntrack and NAT --------------------

listening() { nsx "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .; }

nat_transit()
{
	local spid out mbps

	ip netns exec "$NS_S" timeout 60 iperf3 -s -1 -B "$S_IP" -p "$STT_PORT" \
		>/dev/null 2>&1 &
	spid=$!
	stt_track_pid "$spid"
	stt_wait_for 10 listening "$NS_S" "$STT_PORT" ||
		{ ktap_info "iperf3 server did not start in S"; return 1; }
	out=$(nsx "$NS_C" timeout 30 iperf3 -c "$S_IP" -p "$STT_PORT" -t 1 \
		--connect-timeout 3000 -J 2>&1)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	mbps=$(jq -r 'if .error then "error: " + .error
		else .end.sum_received.bits_per_second / 1e6 * 10 | round / 10
		end' <<<"$out" 2>/dev/null)
	ktap_info "iperf3 C -> S:$STT_PORT through R: ${mbps:-no JSON}" \
		"$([[ $mbps =~ ^[0-9.]+$ ]] && echo Mbit/s)"
	[[ $mbps =~ ^[0-9.]+$ ]] && [ "$mbps" != 0 ]
}

nat_entry()
{
	local out

	out=$(nsx "$NS_R" conntrack -L -p tcp --dport "$STT_PORT" 2>/dev/null)
	ktap_info "R's conntrack entries for dport $STT_PORT: $(grep -c . <<<"$out")"
	printf '%s\n' "$out" | head -2 | ktap_info
	grep -qE "src=$C_IP dst=$S_IP sport=[0-9]+ dport=$STT_PORT src=$S_IP dst=$R_S_IP sport=$STT_PORT" \
		<<<"$out"
}

if [ -z "$NAT_MISSING" ]; then
	ktap_result "transit: TCP C -> S:$STT_PORT routed and masqueraded by R (stt device in R) connects" \
		nat_transit
	ktap_result "transit: R's conntrack holds the connection to port $STT_PORT, NATed to R's $R_S_IP" \
		nat_entry
else
	ktap_skip "transit: TCP C -> S:$STT_PORT routed and masqueraded by R connects" \
		"missing:$NAT_MISSING"
	ktap_skip "transit: R's conntrack holds the connection, NATed" \
		"missing:$NAT_MISSING"
fi

# ---- sysctls ---------------------------------------------------------------

# userns_run CMD...: CMD in a netns owned by a new user namespace
# (unshare -Urn).  In tools/vm-run's guest the test runs chrooted into
# the overlay root, and the kernel refuses a user namespace to a chrooted
# process (EPERM): there unshare starts from PID 1's root, the real one,
# and chroots back into ours (--root) once the namespaces exist, through
# a descriptor open on it (/proc/PID/root of another process is not
# reachable from the new user namespace).
userns_run()
{
	local root=/proc/self/fd/9 ldso

	unshare -Urn true 2>/dev/null && { unshare -Urn "$@"; return; }
	ldso=$(readlink -f /lib64/ld-linux-x86-64.so.2) || return 1
	chroot /proc/1/root "$root$ldso" --library-path "$root${ldso%/*}" \
		"$root$(command -v unshare)" --root="$root" -Urn "$@" 9</
}

userns_sysctl()
{
	local out

	# shellcheck disable=SC2016 # expanded by the sh in the new netns
	out=$(userns_run sh -c '
		f=/proc/sys/net/stt/reasm_high_thresh
		[ "$(readlink /proc/self/ns/user)" != "$1" ] && echo userns
		[ -d /proc/sys/net/ipv4 ] && echo sysctl-net
		[ -e /proc/net/stt ] && echo proc-net-stt
		v=$(cat $f 2>/dev/null) && echo "value=$v"
		# Its own value back: within the bounds whatever they are.
		{ echo ${v:-33554432} >$f; } 2>/dev/null && echo written
		{ echo 268435456 >$f; } 2>/dev/null && echo raised
		true' _ "$(readlink /proc/self/ns/user)" 2>&1)
	ktap_info "netns of a new user namespace: ${out//$'\n'/ }"
	[[ $out == *userns*sysctl-net*value=33554432* ]] &&
		[[ $out != *written* ]] && [[ $out != *raised* ]]
}
ktap_result "sysctl: net.stt.reasm_high_thresh read-only (the default) in a netns of an unprivileged user namespace (unshare -Urn)" \
	userns_sysctl

cap_sysctl()
{
	local out

	# One sh: read, 2 GiB, read, 1 GiB, read, restore, read (cat: a
	# sysctl read a byte at a time, as sh's read does, gives one digit).
	# shellcheck disable=SC2016 # expanded by the sh in NS_A
	out=$(nsx "$NS_A" sh -c '
		f=/proc/sys/net/stt/reasm_high_thresh
		v0=$(cat $f)
		{ echo 2147483648 >$f; } 2>/dev/null && echo 2G=taken || echo 2G=refused
		v1=$(cat $f)
		{ echo 1073741824 >$f; } 2>/dev/null && echo 1G=taken || echo 1G=refused
		v2=$(cat $f)
		echo $v0 >$f
		v3=$(cat $f)
		echo v0=$v0 v1=$v1 v2=$v2 v3=$v3' 2>&1)
	ktap_info "reasm_high_thresh: ${out//$'\n'/ }"
	[[ $out == *2G=refused* ]] && [[ $out == *1G=taken* ]] &&
		[[ $out =~ v0=([0-9]+)\ v1=([0-9]+)\ v2=1073741824\ v3=([0-9]+) ]] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[3]}" ]
}
ktap_result "sysctl: reasm_high_thresh capped at 1 GiB (2 GiB refused, value unchanged; 1 GiB taken; restored)" \
	cap_sysctl

# ---- transmit pulls the inner IP header ----------------------------------

# pkt_send MODE COUNT: COUNT frames from a packet socket on A's stt1 to
# B's stt1: "big", 5000-byte IPv4/UDP with TTL 33 (over a page: only the
# Ethernet header is linear), or "cut", an IPv4 EtherType and 10 bytes.
pkt_send()
{
	local mac_b

	mac_b=$(nsx "$NS_B" cat "/sys/class/net/$TUN1/address") || return 1
	nsx "$NS_A" "$STT_PY" - "$TUN1" "$1" "$2" "$mac_b" "$IN1_IP_A" "$IN1_DST" <<-'PY'
		import socket, struct, sys
		dev, mode, n, dst = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
		src = open("/sys/class/net/%s/address" % dev).read().strip()
		eth = bytes.fromhex((dst + src).replace(":", "")) + b"\x08\x00"
		def csum(b):
		    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
		    s = (s & 0xffff) + (s >> 16)
		    return ~((s & 0xffff) + (s >> 16)) & 0xffff
		ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 5000 - 14, 1, 0, 33, 17, 0,
		                 socket.inet_aton(sys.argv[5]), socket.inet_aton(sys.argv[6]))
		ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
		if mode == "big":
		    frame = eth + ip + struct.pack("!HHHH", 4242, 9, 5000 - 34, 0) + bytes(5000 - 42)
		else:
		    frame = eth + ip[:10]
		s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
		s.bind((dev, 0))
		for _ in range(n):
		    s.send(frame)
	PY
}

ttl_inherit()
{
	local n33 nother nrx

	tc_snap "$NS_B" "$UL_B" ingress "$TMP/tb0"
	stt_snap "$NS_B" "$TUN1" "$TMP/c0"
	pkt_send big "$NBIG" || { ktap_info "packet socket send failed"; return 1; }
	# Until B has taken the frames (or 5 s).
	stt_wait_for 5 eval '[ "$(nsx "$NS_B" ethtool -S "$TUN1" |
		awk "\$1 == \"rx_frames:\" { print \$2 }")" -ge \
		"$(($(stt_val "$TMP/c0" rx_frames) + NBIG))" ]'
	tc_snap "$NS_B" "$UL_B" ingress "$TMP/tb1"
	stt_snap "$NS_B" "$TUN1" "$TMP/c1"
	n33=$(stt_delta "$TMP/tb0" "$TMP/tb1" 1)
	nother=$(stt_delta "$TMP/tb0" "$TMP/tb1" 2)
	nrx=$(stt_delta "$TMP/c0" "$TMP/c1" rx_frames)
	ktap_info "$NBIG frames of 5000 bytes, inner TTL 33: B's underlay got" \
		"${n33:-?} segments with TTL 33, ${nother:-?} with another TTL;" \
		"B's $TUN1 rx_frames +${nrx:-?}"
	[ "${n33:-0}" -ge $((NBIG * 4)) ] && [ "$nother" = 0 ] &&
		[ "$nrx" = "$NBIG" ]
}
ktap_result "ttl inherit: a 5000-byte frame from a packet socket (IP header in a page frag): every outer segment has TTL 33, B receives it" \
	ttl_inherit

truncated()
{
	local nerr nout nrx

	stt_snap "$NS_A" "$TUN1" "$TMP/d0"
	tc_snap "$NS_A" "$UL_A" egress "$TMP/ta4"
	tc_snap "$NS_B" "$UL_B" ingress "$TMP/tb2"
	pkt_send cut "$NTRUNC" || { ktap_info "packet socket send failed"; return 1; }
	stt_sleep 0.5
	stt_snap "$NS_A" "$TUN1" "$TMP/d1"
	tc_snap "$NS_A" "$UL_A" egress "$TMP/ta5"
	tc_snap "$NS_B" "$UL_B" ingress "$TMP/tb3"
	nerr=$(stt_delta "$TMP/d0" "$TMP/d1" link.tx_errors)
	nout=$(stt_delta "$TMP/ta4" "$TMP/ta5" 3)
	nrx=$(($(stt_delta "$TMP/tb2" "$TMP/tb3" 1) + $(stt_delta "$TMP/tb2" "$TMP/tb3" 2)))
	ktap_info "$NTRUNC frames cut after 10 bytes of IPv4: $TUN1 tx_errors +${nerr:-?}," \
		"A's underlay sent ${nout:-?} STT frames on port $PORT1, B's received $nrx segments"
	[ "$nerr" = "$NTRUNC" ] && [ "$nout" = 0 ] && [ "$nrx" = 0 ]
}
ktap_result "truncated IPv4 frames from a packet socket: tx_errors +$NTRUNC, nothing on the underlay" \
	truncated

check_dmesg
ktap_finished
