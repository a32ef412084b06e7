#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# STT over an IPv6 underlay (draft-davie-stt-03 §3.3), and every inner/outer
# combination:
#
#   stt0: underlay 2001:db8:7::1 <-> 2001:db8:7::2, inner 10.0.0.0/24 and
#         fd00:5::/64 (v4-in-v6, v6-in-v6);
#   stt1: underlay 192.0.2.1 <-> 192.0.2.2, inner fd00:6::/64 (v6-in-v4;
#         v4-in-v4 is every other test).
#
# Configuration: the plugin takes IPv6 endpoints and prints them (text,
# JSON "remote6"/"local6"), ethtool -i names the remote in brackets, the
# kernel refuses a local of the other family (extack), and changelink moves
# a live device from an IPv4 to an IPv6 underlay.
# The wire, with TSO off on the veths so that the capture sees the real
# segments: every STT segment is IPv6, fits the 1500-byte MTU, and carries
# a constant, non-zero flow label per source port; the STT dissector
# (IPv6 needs ipv6.try_heuristic_first) reports no expert info, and ARP
# and EtherType 0x88b5 frames (non-IP inner, the latter from a packet
# socket) carry no IP flags, L4 offset or MSS (§3.1.1).
# Data: sha256-checked transfers for v4-in-v6, v6-in-v6 and v6-in-v4 that
# go through reassembly, and the segment identity holds.
# Input route reuse over the IPv6 underlay: >= 90% of B's segments in the
# two IPv6-underlay transfers skip the lookup, and once B's underlay
# address is gone no segment reaches STT on the kept route.

source "$(dirname "$0")/lib.sh"

UL6_A=2001:db8:7::1
UL6_B=2001:db8:7::2
IN6_A=fd00:5::1
IN6_B=fd00:5::2
IN46_A=fd00:6::1
IN46_B=fd00:6::2
TUN46=stt1
KEY46=0x99

ktap_header
stt_require ethtool ping ss timeout dumpcap tshark jq
[ -x "$STT_PY" ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"

ktap_plan 20

# decode6 PCAP [tshark args]: the STT heuristic over IPv6 (lib.sh's
# stt_decode: fails on a tshark error).
decode6()
{
	local file=$1

	shift
	stt_decode "$file" -o ipv6.try_heuristic_first:TRUE "$@"
}

# Two netns with IPv6 on (lib.sh turns it off), one veth pair carrying
# both underlays, stt0 over IPv6 and stt1 over IPv4.
topo6()
{
	local ns

	setup_ns NS_A NS_B || return 1
	stt_ipv6_on "$NS_A" "$NS_B" || return 1
	stt_try ip link add "$UL_A" netns "$NS_A" mtu 1500 type veth \
		peer name "$UL_B" netns "$NS_B" mtu 1500 || return 1
	stt_try ip -n "$NS_A" addr add "$UL_IP_A/24" dev "$UL_A" || return 1
	stt_try ip -n "$NS_B" addr add "$UL_IP_B/24" dev "$UL_B" || return 1
	stt_try ip -n "$NS_A" addr add "$UL6_A/64" dev "$UL_A" nodad || return 1
	stt_try ip -n "$NS_B" addr add "$UL6_B/64" dev "$UL_B" nodad || return 1
	stt_try ip -n "$NS_A" link set "$UL_A" up || return 1
	stt_try ip -n "$NS_B" link set "$UL_B" up || return 1

	stt_try ip -n "$NS_A" link add "$TUN" type stt remote "$UL6_B" \
		local "$UL6_A" key "$STT_KEY" || return 1
	stt_try ip -n "$NS_B" link add "$TUN" type stt remote "$UL6_A" \
		local "$UL6_B" key "$STT_KEY" || return 1
	stt_try ip -n "$NS_A" link add "$TUN46" type stt remote "$UL_IP_B" \
		local "$UL_IP_A" key "$KEY46" || return 1
	stt_try ip -n "$NS_B" link add "$TUN46" type stt remote "$UL_IP_A" \
		local "$UL_IP_B" key "$KEY46" || return 1
	stt_try ip -n "$NS_A" addr add "$IN_IP_A/24" dev "$TUN" || return 1
	stt_try ip -n "$NS_B" addr add "$IN_IP_B/24" dev "$TUN" || return 1
	stt_try ip -n "$NS_A" addr add "$IN6_A/64" dev "$TUN" nodad || return 1
	stt_try ip -n "$NS_B" addr add "$IN6_B/64" dev "$TUN" nodad || return 1
	stt_try ip -n "$NS_A" addr add "$IN46_A/64" dev "$TUN46" nodad || return 1
	stt_try ip -n "$NS_B" addr add "$IN46_B/64" dev "$TUN46" nodad || return 1
	for ns in "$NS_A" "$NS_B"; do
		stt_try ip -n "$ns" link set "$TUN" up || return 1
		stt_try ip -n "$ns" link set "$TUN46" up || return 1
		# Real segments on the wire: the capture sees what a NIC would.
		nsx "$ns" ethtool -K "$([ "$ns" = "$NS_A" ] && echo "$UL_A" || echo "$UL_B")" \
			tso off >/dev/null || return 1
	done
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$UL6_B" >/dev/null ||
		{ ktap_info "underlay ping $UL6_A -> $UL6_B fails"; return 1; }
}

if topo6; then
	ktap_pass "topology: IPv6 + IPv4 underlay on one veth pair, $TUN over IPv6, $TUN46 over IPv4"
else
	ktap_fail "topology: IPv6 + IPv4 underlay on one veth pair, $TUN over IPv6, $TUN46 over IPv4"
	ktap_bail "cannot build the topology"
fi

###########################################################################
# Configuration
###########################################################################

TEXT=$(ip -n "$NS_A" -d link show "$TUN")
JSON=$(ip -n "$NS_A" -j -d link show "$TUN" | jq -c '.[0].linkinfo.info_data')
ktap_info "ip -d: $(grep -o 'stt remote.*' <<<"$TEXT")"
ktap_info "ip -j -d info_data: $JSON"
ktap_check "ip -d / ip -j -d show the IPv6 endpoints (remote6/local6 in JSON, no IPv4 keys)" \
	"$(grep -q "stt remote $UL6_B local $UL6_A " <<<"$TEXT" &&
		[ "$(jq -r .remote6 <<<"$JSON")" = "$UL6_B" ] &&
		[ "$(jq -r .local6 <<<"$JSON")" = "$UL6_A" ] &&
		[ "$(jq -r 'has("remote") or has("local")' <<<"$JSON")" = false ] &&
		echo 0)"

BUS=$(nsx "$NS_A" ethtool -i "$TUN" | sed -n 's/^bus-info: //p')
ktap_info "ethtool -i bus-info: $BUS"
ktap_check "ethtool -i: bus-info stt:[$UL6_B]:$STT_PORT" \
	"$([ "$BUS" = "stt:[$UL6_B]:$STT_PORT" ] && echo 0)"

# The plugin sends REMOTE6 + LOCAL (IPv4): only the kernel can refuse it.
OUT=$(ip -n "$NS_A" link add sttx type stt remote 2001:db8:7::9 local 192.0.2.1 2>&1)
RC=$?
ktap_info "remote IPv6 + local IPv4: rc=$RC: $OUT"
OUT2=$(ip -n "$NS_A" link add sttx type stt remote ff02::1 2>&1)
RC2=$?
ktap_info "remote ff02::1: rc=$RC2: $OUT2"
OUT3=$(ip -n "$NS_A" link set "$TUN" type stt local 192.0.2.1 2>&1)
RC3=$?
ktap_info "changelink of $TUN to an IPv4 local: rc=$RC3: $OUT3"
ktap_check "refused with extack: mixed families (create and change), multicast remote without dev; nothing changed" \
	"$([ "$RC" != 0 ] && grep -q "same address family" <<<"$OUT" &&
		[ "$RC2" != 0 ] && grep -qi "remote" <<<"$OUT2" &&
		[ "$RC3" != 0 ] && grep -q "same address family" <<<"$OUT3" &&
		! ip -n "$NS_A" link show sttx >/dev/null 2>&1 &&
		ip -n "$NS_A" -d link show "$TUN" | grep -q "local $UL6_A " &&
		echo 0)"

###########################################################################
# Traffic in every combination
###########################################################################

ktap_result "v4-in-v6: ping $IN_IP_B (56, 1400 and 3000 bytes)" \
	eval 'stt_ping "$NS_A" "$IN_IP_B" 3 && stt_ping "$NS_A" "$IN_IP_B" 2 1400 &&
		stt_ping "$NS_A" "$IN_IP_B" 2 3000'
ktap_result "v6-in-v6: ping $IN6_B (56 and 3000 bytes)" \
	eval 'stt_ping "$NS_A" "$IN6_B" 3 && stt_ping "$NS_A" "$IN6_B" 2 3000'
ktap_result "v6-in-v4: ping $IN46_B over $TUN46 (56 and 3000 bytes)" \
	eval 'stt_ping "$NS_A" "$IN46_B" 3 && stt_ping "$NS_A" "$IN46_B" 2 3000'

# The wire: capture while the transfers run.
FILE=$TMP/data
stt_make_file "$FILE" 8
PCAP=$TMP/v6.pcap
stt_cap_start "$NS_A" "$UL_A" "$PCAP" "ip6 and tcp dst port $STT_PORT" 3000 120

# Non-IP inner frames first, while the capture has room: ARP, and three
# frames of EtherType 0x88b5 (local experimental) from a packet socket on
# A's stt0.
ip -n "$NS_A" neigh flush dev "$TUN"
stt_ping "$NS_A" "$IN_IP_B" 1 >/dev/null
nsx "$NS_A" "$STT_PY" - "$TUN" <<'PY' || ktap_info "no 0x88b5 frame sent on $TUN"
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
src = open("/sys/class/net/%s/address" % sys.argv[1]).read().strip()
frame = (b"\xff" * 6 + bytes.fromhex(src.replace(":", "")) + b"\x88\xb5" +
         b"stt non-IP inner frame".ljust(46, b"\0"))
for _ in range(3):
    s.send(frame)
PY
# Inner IPv6 for the wire check while the capture has room: ICMPv6 (not
# checksum partial) and a short TCP transfer (checksum partial, GSO).
stt_ping "$NS_A" "$IN6_B" 2 3000 >/dev/null
stt_make_file "$TMP/small" 1
stt_xfer_noted "$NS_B" "$IN6_B" "$NS_A" "$TMP/small" 5304 >/dev/null ||
	ktap_info "the 1 MiB v6-in-v6 transfer for the capture failed"
stt_snap "$NS_B" "$TUN" "$TMP/b0"
stt_snap "$NS_B" "$TUN46" "$TMP/c0"
SEG0=$(stt_proc_val "$NS_B" rx_segments) REUSED0=$(stt_proc_val "$NS_B" rx_route_reused)
ktap_result "v4-in-v6: 8 MiB A->B arrive with the right sha256" \
	stt_xfer_noted "$NS_B" "$IN_IP_B" "$NS_A" "$FILE" 5301
ktap_result "v6-in-v6: 8 MiB A->B arrive with the right sha256" \
	stt_xfer_noted "$NS_B" "$IN6_B" "$NS_A" "$FILE" 5302
SEG1=$(stt_proc_val "$NS_B" rx_segments) REUSED1=$(stt_proc_val "$NS_B" rx_route_reused)
ktap_result "v6-in-v4: 8 MiB A->B over $TUN46 arrive with the right sha256" \
	stt_xfer_noted "$NS_B" "$IN46_B" "$NS_A" "$FILE" 5303
stt_snap "$NS_B" "$TUN" "$TMP/b1"
stt_snap "$NS_B" "$TUN46" "$TMP/c1"
stt_cap_stop

REASM6=$(stt_delta "$TMP/b0" "$TMP/b1" rx_reasm_frames)
REASM4=$(stt_delta "$TMP/c0" "$TMP/c1" rx_reasm_frames)
ktap_info "B: $TUN rx_frames +$(stt_delta "$TMP/b0" "$TMP/b1" rx_frames) (reassembled +$REASM6), $TUN46 rx_frames +$(stt_delta "$TMP/c0" "$TMP/c1" rx_frames) (reassembled +$REASM4)"
ktap_check "the transfers went through reassembly on both underlays (TSO off: frames in segments)" \
	"$([ "${REASM6:-0}" -ge 100 ] && [ "${REASM4:-0}" -ge 100 ] && echo 0)"

###########################################################################
# The wire
###########################################################################

# Per segment: IPv6 payload length, flow label, TCP ports, and for first
# segments the STT header.
SEGS=$TMP/segs.tsv
decode6 "$PCAP" -o stt.reassemble:FALSE -T fields -E separator=/t \
	-E occurrence=f -e ipv6.plen -e ipv6.flow -e stt.stream_id \
	-e stt.dport -e stt.version -e stt.context_id -e frame.number \
	-e _ws.col.Protocol -e _ws.col.Info >"$SEGS"
ktap_info "capture: $(wc -l <"$SEGS") IPv6 segments to port $STT_PORT on $UL_A"
# stt.stream_id (the source port) prints in hex.
WIRE=$(awk -F'\t' -v key="$STT_KEY" '
	function hex(s,  i, v) {
		s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	{ n++
	  if ($1 + 40 > 1500) big++
	  if ($4 != 7471 || hex($3) < 49152) { badport++
		  if (badport <= 3) printf "bad port: %s\n", $0 > "/dev/stderr" }
	  if ($2 == "0x00000" || $2 == "0x00000000") nolabel++
	  if ($3 in label && label[$3] != $2) relabel++
	  label[$3] = $2
	  if ($5 != "") { hdr++
		  if ($5 != 0 || tolower($6) != tolower(key)) badhdr++ } }
	END { printf "%d %d %d %d %d %d %d", n, big, badport, nolabel, relabel, hdr, badhdr }' \
	"$SEGS" 2>"$TMP/bad")
[ -s "$TMP/bad" ] && ktap_info "$(cat "$TMP/bad")"
read -r N BIG BADPORT NOLABEL RELABEL HDR BADHDR <<<"$WIRE"
ktap_info "segments $N (over the MTU $BIG, bad port $BADPORT, no flow label $NOLABEL, label changed within a port $RELABEL); STT headers $HDR (bad version/context $BADHDR)"
ktap_check "wire: IPv6 segments within the MTU, dst port 7471, constant non-zero flow label per flow, version 0 and the Context ID" \
	"$([ "${N:-0}" -ge 200 ] && [ "$BIG" = 0 ] && [ "$BADPORT" = 0 ] &&
		[ "$NOLABEL" = 0 ] && [ "$RELABEL" = 0 ] && [ "$HDR" -ge 10 ] &&
		[ "$BADHDR" = 0 ] && echo 0)"

BAD=$(decode6 "$PCAP" -Y "$STT_EXPERT" -T fields -e frame.number \
	-e _ws.expert.message -E occurrence=a -E aggregator='; ') ||
	BAD="tshark failed"
[ -n "$BAD" ] && printf '%s\n' "$BAD" | head -5 | ktap_info
ktap_check "wire: no STT expert info or reassembly error in tshark (IPv6)" \
	"$([ -z "$BAD" ] && echo 0)"

# Every segment and frame through stt_wire_check.py, as on the IPv4
# underlay (stt_wire.sh): SEQ, ACK, PSH, window, urgent pointer, data
# offset and reserved bits from the IPv6 payload length; flags, L4 offset
# and MSS against the inner frame (IPv4, IPv6, ARP, 0x88b5).  The capture
# stops at its packet count in the middle of a transfer: the frames cut
# off there are incomplete, not gaps.
STT_DECODE_ARGS="-o ipv6.try_heuristic_first:TRUE" \
	stt_wire_check "$PCAP" --mtu 1500 --min-segments 200 --min-frames 3
RC=$?
ktap_info "$STT_WIRE_OUT"
ktap_check "wire: every IPv6 segment and frame well formed, flags and L4 offset match the inner frame (stt_wire_check.py; inner IPv4/TCP, IPv6/TCP, IPv6/ICMPv6 and non-IP frames among them)" \
	"$([ "$RC" = 0 ] && grep -q 'IPv4/TCP partial' <<<"$STT_WIRE_OUT" &&
		grep -q 'IPv6/TCP partial' <<<"$STT_WIRE_OUT" &&
		grep -q 'IPv6/ICMPv6' <<<"$STT_WIRE_OUT" &&
		grep -q 'non-IP 0x88b5' <<<"$STT_WIRE_OUT" && echo 0)"

# Non-IP inner: ARP and 0x88b5 frames carry flags 0, L4 offset 0, MSS 0
# (§3.1.1).
nonip()
{
	decode6 "$PCAP" -Y "stt && $1" -T fields -e stt.flags -e stt.l4offset \
		-e stt.mss -E occurrence=f | sort | uniq -c
}
ARP=$(nonip arp)
EXP=$(nonip 'eth.type == 0x88b5')
ktap_info "ARP frames in STT by (flags, l4offset, mss): $(tr '\n' ' ' <<<"$ARP")"
ktap_info "0x88b5 frames in STT by (flags, l4offset, mss): $(tr '\n' ' ' <<<"$EXP")"
ktap_check "wire: ARP and 0x88b5 inner frames have no IP flags, L4 offset or MSS" \
	"$([ -n "$ARP" ] && [ -n "$EXP" ] &&
		awk '$2 != "0x00" || $3 != 0 || $4 != 0 { exit 1 }' <<<"$ARP
$EXP" && echo 0)"

###########################################################################
# changelink: an IPv4 device moves to the IPv6 underlay
###########################################################################

move_to_v6()
{
	stt_try ip -n "$NS_A" link set "$TUN46" type stt remote 2001:db8:7::2 \
		local 2001:db8:7::1 key 0x98 || return 1
	stt_try ip -n "$NS_B" link set "$TUN46" type stt remote 2001:db8:7::1 \
		local 2001:db8:7::2 key 0x98 || return 1
	ip -n "$NS_A" -d link show "$TUN46" | grep -q "remote 2001:db8:7::2 " ||
		return 1
	stt_ping "$NS_A" "$IN46_B" 3
}
ktap_result "changelink: $TUN46 moved from the IPv4 to the IPv6 underlay, ping over it" \
	move_to_v6

# Input route reuse over the IPv6 underlay: the two transfers above.
reuse6()
{
	local seg=$((SEG1 - SEG0)) reused=$((REUSED1 - REUSED0))

	ktap_info "IPv6 underlay transfers: B rx_segments +$seg, rx_route_reused +$reused"
	[ "$seg" -gt 1000 ] && [ $((reused * 10)) -ge $((seg * 9)) ]
}
ktap_result "input route reuse over the IPv6 underlay: >= 90% of B's segments skipped the FIB" \
	reuse6

# B's underlay address goes: the segments A keeps sending to it (its
# neighbour entry pinned) must not reach STT on the remembered route; back
# (nodad), the tunnel works again.
addr_gone6()
{
	local mac s0 s1 u0 u1 ok=0

	mac=$(nsx "$NS_B" cat "/sys/class/net/$UL_B/address")
	stt_try ip -n "$NS_A" neigh replace "$UL6_B" lladdr "$mac" dev "$UL_A" \
		nud permanent || return 1
	stt_try ip -n "$NS_B" addr del "$UL6_B/64" dev "$UL_B" || return 1
	s0=$(stt_proc_val "$NS_B" rx_segments)
	u0=$(nsx "$NS_B" cat "/sys/class/net/$UL_B/statistics/rx_packets")
	nsx "$NS_A" ping -q -c 5 -i 0.2 -W 1 "$IN_IP_B" >/dev/null 2>&1 &&
		{ ktap_info "pings reached B without its underlay address"; ok=1; }
	s1=$(stt_proc_val "$NS_B" rx_segments)
	u1=$(nsx "$NS_B" cat "/sys/class/net/$UL_B/statistics/rx_packets")
	ktap_info "B's $UL6_B removed: $UL_B rx +$((u1 - u0)), rx_segments +$((s1 - s0))"
	[ $((u1 - u0)) -ge 5 ] && [ "$s1" = "$s0" ] || ok=1
	stt_try ip -n "$NS_B" addr add "$UL6_B/64" dev "$UL_B" nodad &&
		stt_try ip -n "$NS_A" neigh del "$UL6_B" dev "$UL_A" || return 1
	stt_wait_for 10 stt_ping "$NS_A" "$IN_IP_B" 1 || return 1
	[ "$ok" = 0 ]
}
ktap_result "input route reuse follows IPv6 address changes: B's underlay address removed, nothing reaches STT; restored, ping" \
	addr_gone6

ktap_result "segment identity in B (rx_segments = delivered + dropped + held)" \
	stt_check_identity "$NS_B"

check_dmesg
ktap_finished
