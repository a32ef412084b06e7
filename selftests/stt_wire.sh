#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What STT puts on the wire, decoded by tshark's STT dissector.
#
# 1. TSO off on the veths: the capture on veth_a sees the real segments
#    (both directions).  stt_wire_check.py checks every segment and every
#    frame (version 0, Context ID, source port 49152-65535, SEQ =
#    frame_len<<16 | offset, offsets contiguous, ACK/PSH flags, no packet
#    over the MTU); tshark must report no STT expert warning and no
#    reassembly error, and the reassembled frames must decode as Ethernet
#    frames carrying the inner 10.0.0.0/24 traffic.
# 2. TSO on: each frame leaves as one GSO skb, captured whole.
# 3. ECN: with ECN-capable inner TCP, the data segments leave ECT(0).
#
# The dissector is a heuristic on IP matching dst port 7471 only, hence
# -o ip.try_heuristic_first:TRUE.

source "$(dirname "$0")/lib.sh"

CHECK=$STT_SELFTESTS/stt_wire_check.py

ktap_header
stt_require ethtool iperf3 ping ss timeout dumpcap tshark
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 12

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

# capture_drops PCAP: packets the capture lost (dumpcap's closing line,
# "Packets received/dropped on interface 'veth_a': 600/0 (...)").
capture_drops()
{
	sed -n "s|.*received/dropped on interface .*: [0-9]*/\([0-9]*\).*|\1|p" \
		"$1.log" 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'
}

# wire_check PCAP [checker args]: the per-segment/per-frame checks; the
# checker's report is left in WIRE_OUT, the segment count in WIRE_NSEG.
wire_check()
{
	local pcap=$1 fields rc

	shift
	fields=$(stt_python "$CHECK" --fields)
	# shellcheck disable=SC2086 # $fields is a list of -e options
	WIRE_OUT=$(stt_decode_fields "$pcap" $fields |
		stt_python "$CHECK" --key "$STT_KEY" --port "$STT_PORT" \
			--drops "$(capture_drops "$pcap")" "$@")
	rc=$?
	WIRE_NSEG=$(sed -n 's/^STT segments: \([0-9]*\),.*/\1/p' <<<"$WIRE_OUT")
	WIRE_NSEG=${WIRE_NSEG:-0}
	return "$rc"
}

# Without the dissector nothing decodes: a missing prerequisite, not a
# failure of the module.
have_stt_dissector()
{
	tshark -G fields 2>/dev/null | grep -qP '^F\t[^\t]*\tstt\.context_id\t'
}

stt_decode_fields()
{
	local pcap=$1

	shift
	stt_decode "$pcap" -o stt.reassemble:FALSE -T fields -E header=y \
		-E separator=/t -E occurrence=f "$@"
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
if stt_cap_start "$NS_A" "$UL_A" "$PCAP" "tcp dst port $STT_PORT" 600 25; then
	make_traffic 4
	stt_cap_stop
fi
ktap_info "tso off: capture on $UL_A: $(capinfos -c -M "$PCAP" 2>/dev/null |
	sed -n 's/^Number of packets: *//p') packets to port $STT_PORT, $(capture_drops "$PCAP") dropped by the capture"
wire_check "$PCAP" --mtu 1500 --min-segments 100 --min-frames 3 --show 6
RC=$?
ktap_info "segments, one line each (the first segment of a frame carries the STT header):"
ktap_info "$WIRE_OUT"
if [ "$WIRE_NSEG" -eq 0 ] && ! have_stt_dissector; then
	ktap_skip_all "this tshark has no STT dissector"
fi
ktap_check "tso off: STT segments captured on the underlay (>= 100)" \
	"$([ "$WIRE_NSEG" -ge 100 ] && echo 0)"
ktap_check "tso off: every segment and frame well formed (stt_wire_check.py)" "$RC"
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
if stt_cap_start "$NS_A" "$UL_A" "$PCAP" "tcp dst port $STT_PORT" 200 20; then
	make_traffic 2
	stt_cap_stop
fi
stt_snap "$NS_A" "$TUN" "$TMP/a1"
wire_check "$PCAP" --whole --min-segments 20 --min-frames 10 --min-big 5 --show 3
RC=$?
ktap_info "tso on: A tx_gso_frames +$(stt_delta "$TMP/a0" "$TMP/a1" tx_gso_frames)"
ktap_info "$WIRE_OUT"
ktap_check "tso on: every frame handed to veth whole (big GSO packets among them), headers consistent" "$RC"
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
# 4. VLAN (§2.2, §3.1): an 802.1Q tag travels in the frame header's
#    PCP/V/VID, not in the payload, and comes back as an accelerated tag
#    that a VLAN device on the receiving stt0 takes.
###########################################################################

VID=100
PCP=5
# The 8021q module, loaded by hand: request_module may not work here.
modprobe -q 8021q 2>/dev/null
vlan_up()
{
	local ns=$1 ip=$2

	stt_try ip -n "$ns" -batch - <<-EOF
		link add link $TUN name $TUN.$VID type vlan id $VID egress-qos-map 0:$PCP
		addr add $ip/24 dev $TUN.$VID
		link set $TUN.$VID up
	EOF
}
PCAP=$TMP/vlan.pcap
if vlan_up "$NS_A" 10.0.100.1 && vlan_up "$NS_B" 10.0.100.2 &&
	stt_cap_start "$NS_A" "$UL_A" "$PCAP" \
		"tcp dst port $STT_PORT and src host $UL_IP_A" 1000 60; then
	ktap_result "vlan: ping over $TUN.$VID on both ends (the tag restored in B)" \
		stt_ping "$NS_A" 10.0.100.2 3
	stt_cap_stop
else
	ktap_fail "vlan: ping over $TUN.$VID on both ends (the tag restored in B)"
	: >"$PCAP"
fi
# Per frame (the pings are one segment each): V, VID, PCP of the header
# and the inner Ethernet's EtherType, 0x8100 if the tag were inline.
stt_decode "$PCAP" -Y 'stt.vlan' -T fields -E separator=, -E occurrence=l \
	-e stt.vlan.v -e stt.vlan.id -e stt.vlan.pcp -e eth.type >"$TMP/vlan.csv"
ktap_info "vlan: frames by V,VID,PCP,inner EtherType:" \
	"$(sort "$TMP/vlan.csv" | uniq -c | tr -s '\n ' '; ')"
ktap_check "vlan: the frame header carries V=1, VID $VID, PCP $PCP" \
	"$(awk -F, -v vid=$VID -v pcp=$PCP '
		{ n++; if ($1 == 1 && $2 == vid && $3 == pcp) ok++ }
		END { exit !(n >= 3 && ok >= 3) }' "$TMP/vlan.csv" && echo 0)"
ktap_check "vlan: the inner frame is untagged (IPv4 or ARP, not 0x8100)" \
	"$(awk -F, '$4 == "0x0800" || $4 == "0x0806" { ok++; next } { bad++ }
		END { exit !(ok >= 3 && !bad) }' "$TMP/vlan.csv" && echo 0)"

check_dmesg
ktap_finished
