#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What an underlay does to segments on their way, and what the receiver
# must still get right.
#
# IP fragments and RPS.  A -(1500)- R -(1400)- B, stt0 with inner MTU 9000
# and the default "df unset": R fragments every full-sized segment, and
# only the last segment of a frame fits.  RSS and RPS hash fragments on the
# address pair and whole segments on the 4-tuple, so with RPS spreading
# B's ingress over both CPUs, the defragmented segments of a frame and its
# last segment reach stt on different CPUs whenever the two hashes pick
# different CPUs.  Each ping is a new inner flow, so a new outer source
# port: over 8 pings that is almost certain for some.  Defragmented
# segments go to the shared table of their address pair (reasm_shared),
# which takes in what the per-CPU table holds of the frame:
#   - every one of 8 x 3 pings of 8000 bytes over stt0 is answered;
#   - B's reasm_shared moves, and no frame times out.
#
# CHECKSUM_COMPLETE.  A == B over an IPv6 vxlan with UDP checksums (A's
# veth computes them in software), and stt0 over that vxlan's IPv6.  B
# verifies the vxlan UDP checksum in software, so the packet vxlan hands
# up carries CHECKSUM_COMPLETE with a sum over the inner IPv6 packet;
# vxlan's GRO is off, so it stays so up to stt.  An IPv6 header does not
# sum to zero: stt must take it (and its extension headers) out of the sum
# when it pulls them, or every segment's checksum is computed again in
# software:
#   - pings over stt0 are all answered;
#   - B's rx_csum_sw does not move while its rx_segments does.

source "$(dirname "$0")/lib.sh"

R_A=192.0.2.254
R_B=198.51.100.254
B_IP=198.51.100.2
PINGS=8
VX6_A=fd00:77::1
VX6_B=fd00:77::2
UL6_A=2001:db8:9::1
UL6_B=2001:db8:9::2

ktap_header
stt_require ethtool ping timeout
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
modprobe -q vxlan 2>/dev/null
stt_module_present vxlan || ktap_skip_all "no vxlan module"
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 7

# ---- IP fragments and RPS ----

topo_frag()
{
	setup_ns NS_A NS_R NS_B || return 1
	stt_try ip link add ul netns "$NS_A" type veth peer name ra netns "$NS_R" ||
		return 1
	stt_try ip link add ul netns "$NS_B" mtu 1400 type veth \
		peer name rb netns "$NS_R" mtu 1400 || return 1
	stt_try nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || return 1
	stt_try ip -n "$NS_R" -batch - <<-EOF || return 1
		addr add $R_A/24 dev ra
		addr add $R_B/24 dev rb
		link set ra up
		link set rb up
	EOF
	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		addr add $UL_IP_A/24 dev ul
		link set ul up
		route add default via $R_A
		link add $TUN type stt remote $B_IP local $UL_IP_A key $STT_KEY
		addr add $IN_IP_A/24 dev $TUN
		link set $TUN mtu 9000 up
	EOF
	stt_try ip -n "$NS_B" -batch - <<-EOF || return 1
		addr add $B_IP/24 dev ul
		link set ul up
		route add default via $R_B
		link add $TUN type stt remote $UL_IP_A local $B_IP key $STT_KEY
		addr add $IN_IP_B/24 dev $TUN
		link set $TUN mtu 9000 up
	EOF
	# RPS: B's ingress spread over every CPU.
	stt_try nsx "$NS_B" sh -c \
		"printf '%x' $(((1 << $(nproc)) - 1)) >/sys/class/net/ul/queues/rx-0/rps_cpus" ||
		return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$B_IP" >/dev/null ||
		{ ktap_info "underlay ping A -> B fails"; return 1; }
}

if [ "$(nproc)" -lt 2 ]; then
	ktap_skip "topology: A - R - B, 1400-byte link to B, RPS on B" "needs 2 CPUs"
	ktap_skip "8000-byte pings through fragmenting R" "needs 2 CPUs"
	ktap_skip "B took defragmented segments through the shared table" "needs 2 CPUs"
elif topo_frag; then
	ktap_pass "topology: A - R - B, 1400-byte link to B, RPS on B"
	stt_snap "$NS_B" "$TUN" "$TMP/f0"
	bad=0
	for i in $(seq "$PINGS"); do
		stt_ping "$NS_A" "$IN_IP_B" 3 8000 || bad=$((bad + 1))
	done
	stt_snap "$NS_B" "$TUN" "$TMP/f1"
	ktap_info "B: $(stt_show_deltas "$TMP/f0" "$TMP/f1" |
		grep -E 'reasm_(shared|frames|timeouts)|rx_frames' | tr -s ' \n' ' ')"
	if [ "$bad" = 0 ]; then
		ktap_pass "$PINGS x 3 pings of 8000 bytes through fragmenting R: every one answered"
	else
		ktap_fail "$PINGS x 3 pings of 8000 bytes through fragmenting R: $bad of $PINGS lost replies"
	fi
	if [ "$(stt_delta "$TMP/f0" "$TMP/f1" proc.reasm_shared)" -gt 0 ] &&
		[ "$(stt_delta "$TMP/f0" "$TMP/f1" proc.reasm_timeouts)" = 0 ]; then
		ktap_pass "B took defragmented segments through the shared table, no timeout"
	else
		ktap_fail "B took defragmented segments through the shared table, no timeout"
	fi
else
	ktap_fail "topology: A - R - B, 1400-byte link to B, RPS on B"
	ktap_skip "8000-byte pings through fragmenting R" "no topology"
	ktap_skip "B took defragmented segments through the shared table" "no topology"
fi

# ---- CHECKSUM_COMPLETE from a UDP tunnel underlay ----

topo_csum()
{
	local ns

	setup_ns NS_A NS_B || return 1
	stt_ipv6_on "$NS_A" "$NS_B" || return 1
	stt_try ip link add ul netns "$NS_A" type veth peer name ul netns "$NS_B" ||
		return 1
	for ns in "$NS_A" "$NS_B"; do
		local me=$VX6_A peer=$VX6_B ul6=$UL6_A rul6=$UL6_B
		local in=$IN_IP_A

		if [ "$ns" = "$NS_B" ]; then
			me=$VX6_B peer=$VX6_A ul6=$UL6_B rul6=$UL6_A in=$IN_IP_B
		fi
		stt_try ip -n "$ns" -batch - <<-EOF || return 1
			addr add $me/64 dev ul nodad
			link set ul up
			link add vx0 type vxlan id 42 local $me remote $peer dstport 4789 noudp6zerocsumtx noudp6zerocsumrx
			addr add $ul6/64 dev vx0 nodad
			link set vx0 up
			link add $TUN type stt remote $rul6 local $ul6 key $STT_KEY
			addr add $in/24 dev $TUN
			link set $TUN up
		EOF
	done
	# A's UDP checksums in software (B sees CHECKSUM_NONE on the wire and
	# computes CHECKSUM_COMPLETE); no GRO on B's vxlan to undo it.
	stt_try nsx "$NS_A" ethtool -K ul tx off || return 1
	stt_try nsx "$NS_B" ethtool -K vx0 gro off || return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$UL6_B" >/dev/null ||
		{ ktap_info "vxlan underlay ping A -> B fails"; return 1; }
}

if topo_csum; then
	ktap_pass "topology: stt0 over an IPv6 vxlan with UDP checksums"
	stt_snap "$NS_B" "$TUN" "$TMP/c0"
	ktap_result "pings over stt0 (IPv6 over vxlan): every one answered" \
		stt_ping "$NS_A" "$IN_IP_B" 10 1200
	stt_snap "$NS_B" "$TUN" "$TMP/c1"
	segs=$(stt_delta "$TMP/c0" "$TMP/c1" proc.rx_segments)
	sw=$(stt_delta "$TMP/c0" "$TMP/c1" proc.rx_csum_sw)
	ktap_info "B: rx_segments +$segs, rx_csum_sw +$sw"
	if [ "${segs:-0}" -ge 10 ] && [ "$sw" = 0 ]; then
		ktap_pass "CHECKSUM_COMPLETE kept through the IPv6 pull: no segment checksummed again"
	else
		ktap_fail "CHECKSUM_COMPLETE kept through the IPv6 pull: no segment checksummed again"
	fi
else
	ktap_fail "topology: stt0 over an IPv6 vxlan with UDP checksums"
	ktap_skip "pings over stt0 (IPv6 over vxlan)" "no topology"
	ktap_skip "CHECKSUM_COMPLETE kept through the IPv6 pull" "no topology"
fi

check_dmesg
ktap_finished
