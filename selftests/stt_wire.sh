#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What STT puts on the wire, decoded by tshark's STT dissector.
#
# 1. TSO off on the veths: the capture on veth_a sees the real segments
#    (both directions).  stt_wire_check.py checks every segment and every
#    frame (version 0, Context ID, source port 49152-65535 and the same
#    on every segment of a frame, SEQ = frame_len<<16 | offset, offsets
#    contiguous, ACK/PSH flags, no ECE/CWR/NS, no packet over the MTU; the
#    STT flags, L4 offset and MSS against the inner frame: see its
#    docstring); tshark must report no STT expert warning and no
#    reassembly error, and the reassembled frames must decode as Ethernet
#    frames carrying the inner 10.0.0.0/24 traffic.
# 2. TSO on: each frame leaves as one GSO skb, captured whole.
# 3. ECN: with ECN-capable inner TCP, the data segments leave ECT(0).
# 4. VLAN tags (see below); stt_wire_check.py on all of its captures.
# 5. Real checksums: with tx checksum offload off on A's veth and A's
#    stt0, every checksum A sends is computed; captured on B's veth,
#    stt_wire_check.py checks the outer and tshark the inner TCP ones.
#
# The dissector is a heuristic on IP matching dst port 7471 only, hence
# -o ip.try_heuristic_first:TRUE.

source "$(dirname "$0")/lib.sh"

ktap_header
stt_require ethtool iperf3 ping ss timeout dumpcap tshark
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
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

# Traffic while a capture runs: small and IP-fragmented pings, then
# iperf3 A->B until the capture has its packets.
make_traffic()
{
	stt_ping "$NS_A" "$IN_IP_B" 3 >/dev/null
	stt_ping "$NS_A" "$IN_IP_B" 2 3000 >/dev/null
	stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" "$1" >/dev/null
}

# wire_check PCAP [checker args]: lib.sh's stt_wire_check, its report in
# WIRE_OUT, its segment count in WIRE_NSEG.
wire_check()
{
	local rc

	stt_wire_check "$@"
	rc=$?
	WIRE_OUT=$STT_WIRE_OUT
	WIRE_NSEG=$STT_WIRE_NSEG
	return "$rc"
}

# Without the dissector nothing decodes: a missing prerequisite, not a
# failure of the module.
have_stt_dissector()
{
	tshark -G fields 2>/dev/null | grep -qP '^F\t[^\t]*\tstt\.context_id\t'
}

# Reassembled frames carry Ethernet + IPv4 between 10.0.0.1 and 10.0.0.2.
inner_decodes()
{
	local out

	out=$(stt_decode "$1" -Y stt -T fields -e ip.src -e ip.dst \
		-E occurrence=a -E aggregator=, | awk -F'\t' '
		{ ns = split($1, s, ","); split($2, d, ",") }
		ns >= 2 { n++
			  if (s[2] !~ /^10\.0\.0\.[12]$/ || d[2] !~ /^10\.0\.0\.[12]$/)
				  bad++ }
		END { printf "%d %d\n", n, bad }')
	read -r n bad <<<"$out"
	ktap_info "frames decoded down to the inner IPv4 header: $n, with a foreign inner address: $bad"
	[ "$n" -ge 5 ] && [ "$bad" -eq 0 ]
}

###########################################################################
# 1. Real segments (TSO off)
###########################################################################

nsx "$NS_A" ethtool -K "$UL_A" tso off >/dev/null
nsx "$NS_B" ethtool -K "$UL_B" tso off >/dev/null
PCAP=$TMP/seg.pcap
# The packet count or stt_cap_stop ends a capture; the time limit is only a
# safety net, long enough for a slow TCG guest (at 25 s the pings alone
# used it up once, and iperf3 ran after the capture had ended).
if stt_cap_start "$NS_A" "$UL_A" "$PCAP" "tcp dst port $STT_PORT" 600 120; then
	make_traffic 4
	stt_cap_stop
fi
ktap_info "tso off: capture on $UL_A: $(capinfos -c -M "$PCAP" 2>/dev/null |
	sed -n 's/^Number of packets: *//p') packets to port $STT_PORT, $(stt_capture_drops "$PCAP") dropped by the capture"
wire_check "$PCAP" --mtu 1500 --min-segments 100 --min-frames 3 --show 6
RC=$?
ktap_info "segments, one line each (the first segment of a frame carries the STT header):"
ktap_info "$WIRE_OUT"
if [ "$WIRE_NSEG" -eq 0 ] && ! have_stt_dissector; then
	ktap_skip_all "this tshark has no STT dissector"
fi
ktap_check "tso off: STT segments captured on the underlay (>= 100)" \
	"$([ "$WIRE_NSEG" -ge 100 ] && echo 0)"
ktap_check "tso off: every segment and frame well formed, flags and L4 offset match the inner frame (stt_wire_check.py)" "$RC"
ktap_result "tso off: no STT expert info or reassembly error in tshark" \
	stt_expert_clean "$PCAP"
ktap_result "tso off: reassembled frames decode as Ethernet/IPv4 10.0.0.1<->10.0.0.2" \
	inner_decodes "$PCAP"

###########################################################################
# 2. TSO on: the GSO skb handed to veth is the whole frame
###########################################################################

nsx "$NS_A" ethtool -K "$UL_A" tso on >/dev/null
nsx "$NS_B" ethtool -K "$UL_B" tso on >/dev/null
stt_snap "$NS_A" "$TUN" "$TMP/a0"
PCAP=$TMP/tso.pcap
if stt_cap_start "$NS_A" "$UL_A" "$PCAP" "tcp dst port $STT_PORT" 200 120; then
	make_traffic 2
	stt_cap_stop
fi
stt_snap "$NS_A" "$TUN" "$TMP/a1"
wire_check "$PCAP" --whole --min-segments 20 --min-frames 10 --min-big 5 --show 3
RC=$?
ktap_info "tso on: A tx_gso_frames +$(stt_delta "$TMP/a0" "$TMP/a1" tx_gso_frames)"
ktap_info "$WIRE_OUT"
ktap_check "tso on: every frame handed to veth whole (big GSO packets among them), headers consistent, checksum partial on every GSO frame" "$RC"
ktap_result "tso on: no STT expert info in tshark" stt_expert_clean "$PCAP"

###########################################################################
# 3. ECN (RFC 6040 normal mode): the inner ECN field goes to the outer
#    header.  With tcp_ecn=1 iperf3's data segments are ECT(0) (its pure
#    ACKs and retransmissions are Not-ECT), so large A->B STT segments
#    must be ECT(0).
###########################################################################

nsx "$NS_A" ethtool -K "$UL_A" tso off >/dev/null
nsx "$NS_A" sysctl -qw net.ipv4.tcp_ecn=1
nsx "$NS_B" sysctl -qw net.ipv4.tcp_ecn=1
PCAP=$TMP/ecn.pcap
stt_cap_start "$NS_A" "$UL_A" "$PCAP" \
	"tcp dst port $STT_PORT and src host $UL_IP_A and greater 1000" 200 60
stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" 3 >/dev/null
stt_cap_stop
stt_pcap_ecn "$PCAP" >"$TMP/ecn.txt" 2>/dev/null
ECN=$(sort "$TMP/ecn.txt" | uniq -c |
	awk '{ printf "%s%s x ECN %s", sep, $1, $2; sep = ", " }')
ktap_info "ecn: large A->B segments by outer ECN field: ${ECN:-none}"
# TCP sends retransmissions Not-ECT (tcp_ecn_send()): allow a few of those,
# never ECT(1) or CE.
ECN_OK=$(awk '
	{ n++; c[$1]++ }
	END { exit !(n >= 50 && c[2] >= 0.9 * n && !c[1] && !c[3]) }' "$TMP/ecn.txt" && echo 0)
ktap_check "ecn: inner ECT(0) TCP data leaves with outer ECT(0) (>= 90% of >= 50 segments, none ECT(1)/CE)" \
	"$ECN_OK"

###########################################################################
# 4. VLAN tags, one rule (docs/design.md, "VLAN tags"): a frame's outermost tag
#    travels in the frame header's PCP/V/VID (§2.2, §3.1) when it is
#    802.1Q, however the sending stack kept it; every other tag stays in
#    the payload.  The receiver gives the header's tag back as an
#    accelerated tag, which a VLAN device on its stt0 takes.
#    a. 802.1Q from a VLAN device on stt0 (an accelerated tag);
#    b. the same with tx-vlan-hw-insert off on A's stt0: the tag reaches
#       stt0 inside the frame, and the wire must not tell the difference;
#    c. 802.1ad (S-tag 200) with an 802.1Q tag (30) inside it: both stay
#       in the payload, V=0;
#    d. ECN behind the S-tag: ECN-capable TCP over it leaves ECT(0).
#    Checked on every captured STT frame whose inner packet belongs to
#    that VLAN's subnet.
###########################################################################

VID=100
PCP=5
# The 8021q module, loaded by hand: request_module may not work here.
modprobe -q 8021q 2>/dev/null
# vlan_up NS DEV NAME IP ARGS...: a VLAN device NAME on DEV with IP/24.
vlan_up()
{
	local ns=$1 dev=$2 name=$3 ip=$4

	shift 4
	stt_try ip -n "$ns" -batch - <<-EOF
		link add link $dev name $name type vlan $*
		addr add $ip/24 dev $name
		link set $name up
	EOF
}
# vlan_frames PCAP NET: "V,VID,PCP,inner EtherType,S-VIDs,C-VIDs" of every
# STT frame whose inner IPv4 or ARP packet is in NET (10.0.N.0/24): the
# inner EtherType is the last Ethernet header's (0x88a8 for an S-tag), then
# the VIDs of the 802.1ad and 802.1Q tags in the payload.
vlan_frames()
{
	stt_decode "$1" -Y "stt && (ip.addr == $2 || arp.src.proto_ipv4 == $2)" \
		-T fields -E separator=';' -E occurrence=a -E aggregator=: \
		-e stt.vlan.v -e stt.vlan.id -e stt.vlan.pcp -e eth.type \
		-e ieee8021ad.id -e vlan.id |
		awk -F';' '{ n = split($4, t, ":"); print $1 "," $2 "," $3 "," t[n] "," $5 "," $6 }'
}
# vlan_ping DESC NS_IP PCAP: ping B's address on a VLAN from A while the
# underlay is captured.
vlan_ping()
{
	if stt_cap_start "$NS_A" "$UL_A" "$3" \
		"tcp dst port $STT_PORT and src host $UL_IP_A" 1000 60; then
		ktap_result "$1" stt_ping "$NS_A" "$2" 3
		stt_cap_stop
	else
		ktap_fail "$1"
		: >"$3"
	fi
}
# vlan_wire DESC CSV AWK: AWK (per line of CSV, sets ok) must hold for
# every line, and there are at least 3 lines.
vlan_wire()
{
	ktap_info "$1: frames by V,VID,PCP,inner EtherType,payload S-VIDs,C-VIDs:" \
		"$(sort "$2" | uniq -c | tr -s '\n ' '; ')"
	ktap_check "$1" "$(awk -F, "{ n++; ok = 0; $3; good += ok }
		END { exit !(n >= 3 && good == n) }" "$2" && echo 0)"
}
Q_OK="ok = \$1 == 1 && \$2 == $VID && \$3 == $PCP && (\$4 == \"0x0800\" || \$4 == \"0x0806\") && \$5 \$6 == \"\""

if vlan_up "$NS_A" "$TUN" "$TUN.$VID" 10.0.100.1 id $VID egress-qos-map 0:$PCP &&
	vlan_up "$NS_B" "$TUN" "$TUN.$VID" 10.0.100.2 id $VID egress-qos-map 0:$PCP; then
	vlan_ping "vlan 802.1Q: ping over $TUN.$VID on both ends (the tag restored in B)" \
		10.0.100.2 "$TMP/vlan.pcap"
else
	ktap_fail "vlan 802.1Q: ping over $TUN.$VID on both ends (the tag restored in B)"
	: >"$TMP/vlan.pcap"
fi
vlan_frames "$TMP/vlan.pcap" 10.0.100.0/24 >"$TMP/vlan.csv"
vlan_wire "vlan 802.1Q: every frame's header carries V=1, VID $VID, PCP $PCP; the inner frame is untagged" \
	"$TMP/vlan.csv" "$Q_OK"

# b. The tag inside the frame: the same bytes on the wire.
nsx "$NS_A" ip neigh flush dev "$TUN.$VID"
if stt_try nsx "$NS_A" ethtool -K "$TUN" txvlan off; then
	vlan_ping "vlan 802.1Q, tx-vlan-hw-insert off on A: ping over $TUN.$VID" \
		10.0.100.2 "$TMP/vlan-inline.pcap"
	nsx "$NS_A" ethtool -K "$TUN" txvlan on >/dev/null
else
	ktap_fail "vlan 802.1Q, tx-vlan-hw-insert off on A: ping over $TUN.$VID"
	: >"$TMP/vlan-inline.pcap"
fi
vlan_frames "$TMP/vlan-inline.pcap" 10.0.100.0/24 >"$TMP/vlan-inline.csv"
vlan_wire "vlan 802.1Q, tag inside the frame on A: every frame's header carries V=1, VID $VID, PCP $PCP; the inner frame is untagged" \
	"$TMP/vlan-inline.csv" "$Q_OK"

# c. 802.1ad with 802.1Q inside.
SVID=200
CVID=30
ok=0
for ns in "$NS_A" "$NS_B"; do
	n=1
	[ "$ns" = "$NS_B" ] && n=2
	vlan_up "$ns" "$TUN" "$TUN.s$SVID" 10.0.101.$n proto 802.1ad id $SVID &&
		vlan_up "$ns" "$TUN.s$SVID" "$TUN.s$SVID.$CVID" 10.0.102.$n id $CVID ||
		ok=1
done
if [ "$ok" = 0 ]; then
	vlan_ping "vlan 802.1ad $SVID + 802.1Q $CVID: ping over $TUN.s$SVID.$CVID" \
		10.0.102.2 "$TMP/qinq.pcap"
else
	ktap_fail "vlan 802.1ad $SVID + 802.1Q $CVID: ping over $TUN.s$SVID.$CVID"
	: >"$TMP/qinq.pcap"
fi
vlan_frames "$TMP/qinq.pcap" 10.0.102.0/24 >"$TMP/qinq.csv"
vlan_wire "vlan 802.1ad + 802.1Q: every frame V=0, both tags in the payload (0x88a8, VIDs $SVID then $CVID)" \
	"$TMP/qinq.csv" "ok = \$1 == 0 && \$4 == \"0x88a8\" && \$5 == $SVID && \$6 == $CVID"

# d. ECN behind the S-tag (tcp_ecn=1 since section 3).
PCAP=$TMP/ecn-qinq.pcap
stt_cap_start "$NS_A" "$UL_A" "$PCAP" \
	"tcp dst port $STT_PORT and src host $UL_IP_A and greater 1000" 200 60
stt_iperf "$NS_B" 10.0.101.2 "$NS_A" 3 >/dev/null
stt_cap_stop
stt_pcap_ecn "$PCAP" >"$TMP/ecn-qinq.txt" 2>/dev/null
ktap_info "vlan 802.1ad ecn: large A->B segments by outer ECN field:" \
	"$(sort "$TMP/ecn-qinq.txt" | uniq -c | tr -s '\n ' '; ')"
ktap_check "vlan 802.1ad ecn: inner ECT(0) TCP behind the S-tag leaves with outer ECT(0) (>= 90% of >= 50 segments, none ECT(1)/CE)" \
	"$(awk '{ n++; c[$1]++ }
		END { exit !(n >= 50 && c[2] >= 0.9 * n && !c[1] && !c[3]) }' "$TMP/ecn-qinq.txt" && echo 0)"

# All VLAN captures through the per-segment checks: the L4 offset of a
# checksum-partial frame counts the S-tag left in the payload (the 802.1Q
# tag in the header does not count).
mergecap -F pcap -w "$TMP/vlan-all.pcap" "$TMP/vlan.pcap" "$TMP/vlan-inline.pcap" \
	"$TMP/qinq.pcap" "$PCAP" 2>/dev/null || : >"$TMP/vlan-all.pcap"
: >"$TMP/vlan-all.pcap.log"
wire_check "$TMP/vlan-all.pcap" --mtu 1500 --min-segments 50 --min-frames 0
RC=$?
ktap_info "$WIRE_OUT"
ktap_check "vlan: every captured segment well formed, flags and L4 offset match the inner frame behind its payload tags (stt_wire_check.py)" "$RC"

###########################################################################
# 5. Real checksums.  A's veth computes every outer checksum in software
#    (tx off; TSO goes with it), and A's stt0 every inner one (tx off: no
#    frame is checksum partial), so B's veth receives real checksums in
#    both layers (B's module would not notice a wrong outer one: veth
#    marks what it forwards CHECKSUM_UNNECESSARY).  The outer TCP checksum
#    of every segment is verified by stt_wire_check.py --check-csum, from
#    the capture's bytes: tshark 4.0's stt.check_checksum cannot be used,
#    it reports every correct STT checksum as bad ("should be 0x0000"; its
#    TCP dissector accepts the same bytes).  The inner TCP checksum of
#    every reassembled frame is tshark's tcp.check_checksum.  Only A -> B
#    is captured: B still offloads.
###########################################################################

if nsx "$NS_A" ethtool -K "$UL_A" tx off >/dev/null &&
	nsx "$NS_A" ethtool -K "$TUN" tx off >/dev/null; then
	PCAP=$TMP/csum.pcap
	if stt_cap_start "$NS_B" "$UL_B" "$PCAP" \
		"tcp dst port $STT_PORT and src host $UL_IP_A" 400 60; then
		make_traffic 2
		stt_cap_stop
	fi
else
	ktap_info "cannot turn tx checksum offload off on A's $UL_A / $TUN"
	PCAP=$TMP/csum.pcap
	: >"$PCAP"
fi
wire_check "$PCAP" --check-csum --mtu 1500 --min-segments 100 --min-frames 3
RC=$?
ktap_info "$WIRE_OUT"
ktap_check "checksums: every outer TCP checksum A computed is right (>= 100 segments, 0 bad), and every segment well formed (not checksum partial: L4 offset 0, TCP flag from the protocol)" \
	"$([ "$RC" = 0 ] && grep -q '^outer TCP checksums: [0-9]* good, 0 bad, 0 unchecked$' <<<"$WIRE_OUT" && echo 0)"
# "good bad unverified" of the inner TCP checksums (status 1, 0, 2).
CSUM=$(stt_decode "$PCAP" -o tcp.check_checksum:TRUE -T fields -E occurrence=a \
	-E aggregator=, -e tcp.checksum.status |
	awk '{ n = split($1, a, ","); for (i = 1; i <= n; i++) t[a[i]]++ }
		END { printf "%d %d %d\n", t[1], t[0], t[2] }')
read -r TG TB TU <<<"$CSUM"
ktap_info "inner TCP checksums A -> B: good ${TG:-0}, bad ${TB:-0}, unchecked ${TU:-0}"
ktap_check "checksums: every inner TCP checksum is right (tshark tcp.check_checksum: >= 20 checked, 0 bad)" \
	"$([ "${TG:-0}" -ge 20 ] && [ "${TB:-1}" = 0 ] && echo 0)"
STT_DECODE_ARGS="-o tcp.check_checksum:TRUE" \
	ktap_result "checksums: no STT expert info or reassembly error in tshark (tcp.check_checksum on)" \
	stt_expert_clean "$PCAP"

check_dmesg
ktap_finished
