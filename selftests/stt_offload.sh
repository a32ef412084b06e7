#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Underlay offload matrix.  The same settings go on both veths, so for
# A->B traffic veth_a is the sender and veth_b the receiver:
#
#   cell  sender (veth_a)   receiver (veth_b)  what B's stt0 must see
#   tso   tso on            gro off            whole frames in one skb:
#                                              rx_fastpath_frames, no
#                                              reassembly, rx_skbs ~ frames
#   gro   tso off, gso on   gro on             real segments coalesced by
#                                              GRO (veth NAPI): under half
#                                              as many skbs as wire
#                                              segments, fast path > 1/4
#                                              (a frame split across NAPI
#                                              polls is reassembled)
#   seg   tso off           gro off            one skb per segment:
#                                              rx_reasm_frames, rx_skbs ~
#                                              wire segments
#
# On veth, GRO happens only with NAPI on the receiving veth, which
# "ethtool -K veth_b gro on" enables (since 5.13, no XDP needed).  The
# assertions compare STT's counters with what veth really carried
# (veth_a's tx_packets = skbs on the wire), so a GRO that did not happen
# shows up as such.  Each cell also runs iperf3 on the plain underlay
# with the same settings and prints STT/plain (information only).

source "$(dirname "$0")/lib.sh"

SECS=${STT_IPERF_SECS:-4}

ktap_header
stt_require ethtool iperf3 ping ss timeout
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 11

if stt_topo_setup; then
	ktap_pass "topology: two netns, veth underlay, $TUN in each"
else
	ktap_fail "topology: two netns, veth underlay, $TUN in each"
	ktap_bail "cannot build the topology"
fi

# Feature state as ethtool -k reports it, e.g. "tso=on gso=on gro=off".
feature_state()
{
	nsx "$1" ethtool -k "$2" 2>/dev/null | awk -F': ' '
		$1 == "tcp-segmentation-offload" { t = $2 }
		$1 == "generic-segmentation-offload" { g = $2 }
		$1 == "generic-receive-offload" { r = $2 }
		END { sub(/ .*/, "", t); sub(/ .*/, "", g); sub(/ .*/, "", r)
		      printf "tso=%s gso=%s gro=%s", t, g, r }'
}

# set_offloads "ethtool -K args": on both veths, then check it took.
set_offloads()
{
	local ok=0

	# shellcheck disable=SC2086 # the argument is a word list
	nsx "$NS_A" ethtool -K "$UL_A" $1 || ok=1
	# shellcheck disable=SC2086
	nsx "$NS_B" ethtool -K "$UL_B" $1 || ok=1
	ktap_info "$UL_A: $(feature_state "$NS_A" "$UL_A"); $UL_B: $(feature_state "$NS_B" "$UL_B")"
	return "$ok"
}

# feature_is NS DEV NAME VALUE
feature_is()
{
	[[ " $(feature_state "$1" "$2") " == *" $3=$4 "* ]]
}

tcp_in_segs()
{
	nsx "$1" awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Tcp:" { print $c["InSegs"] }' /proc/net/snmp
}

# run_cell NAME "ethtool -K args": traffic, then counter snapshots.
# Leaves the deltas in D_* variables and the throughput in STT_MBPS,
# PLAIN_MBPS.
run_cell()
{
	local name=$1 flows=0 n

	if set_offloads "$2"; then
		ktap_pass "$name: ethtool -K $2 on both veths"
	else
		ktap_fail "$name: ethtool -K $2 on both veths"
	fi

	stt_snap "$NS_A" "$TUN" "$TMP/$name.a0"
	stt_snap "$NS_B" "$TUN" "$TMP/$name.b0"
	stt_snap "$NS_A" "$UL_A" "$TMP/$name.ula0"
	stt_ping "$NS_A" "$IN_IP_B" 3 || flows=1
	stt_ping "$NS_A" "$IN_IP_B" 2 1400 || flows=1
	STT_MBPS=$(stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" "$SECS") || flows=1
	stt_snap "$NS_A" "$TUN" "$TMP/$name.a1"
	stt_snap "$NS_B" "$TUN" "$TMP/$name.b1"
	stt_snap "$NS_A" "$UL_A" "$TMP/$name.ula1"

	# The plain underlay in the same cell: how many skbs veth carried and
	# how many TCP segments B's stack saw (fewer: GRO merged them).
	n=$(tcp_in_segs "$NS_B")
	stt_snap "$NS_A" "$UL_A" "$TMP/$name.ulp0"
	PLAIN_MBPS=$(stt_iperf "$NS_B" "$UL_IP_B" "$NS_A" "$SECS") || PLAIN_MBPS=""
	stt_snap "$NS_A" "$UL_A" "$TMP/$name.ulp1"
	n=$(($(tcp_in_segs "$NS_B") - n))
	ktap_info "$name: iperf3 STT ${STT_MBPS:-n/a} Mbit/s, plain ${PLAIN_MBPS:-n/a} Mbit/s," \
		"STT/plain $(stt_ratio "$STT_MBPS" "$PLAIN_MBPS")"
	ktap_info "$name: plain run: $UL_A sent $(stt_delta "$TMP/$name.ulp0" \
		"$TMP/$name.ulp1" link.tx_packets) skbs, B's TCP took in $n"

	D_TX=$(stt_delta "$TMP/$name.a0" "$TMP/$name.a1" tx_frames)
	D_TXGSO=$(stt_delta "$TMP/$name.a0" "$TMP/$name.a1" tx_gso_frames)
	D_WIRE=$(stt_delta "$TMP/$name.ula0" "$TMP/$name.ula1" link.tx_packets)
	D_RX=$(stt_delta "$TMP/$name.b0" "$TMP/$name.b1" rx_frames)
	D_FAST=$(stt_delta "$TMP/$name.b0" "$TMP/$name.b1" rx_fastpath_frames)
	D_REASM=$(stt_delta "$TMP/$name.b0" "$TMP/$name.b1" rx_reasm_frames)
	D_SKBS=$(stt_delta "$TMP/$name.b0" "$TMP/$name.b1" rx_skbs)
	D_ERR=0
	for n in $STT_ERROR_COUNTERS link.rx_errors; do
		v=$(stt_delta "$TMP/$name.b0" "$TMP/$name.b1" "$n")
		if [ -z "$v" ]; then
			ktap_info "$name: B has no counter $n"
			v=1
		fi
		D_ERR=$((D_ERR + v))
	done
	ktap_info "$name: A tx_frames +$D_TX (gso +$D_TXGSO), $UL_A skbs +$D_WIRE;" \
		"B rx_frames +$D_RX = fastpath +$D_FAST + reasm +$D_REASM, rx_skbs +$D_SKBS, errors +$D_ERR"
	if [ "$flows" -eq 0 ]; then
		ktap_pass "$name: ping and iperf3 flow over STT"
	else
		ktap_fail "$name: ping and iperf3 flow over STT"
	fi
	if [ -z "$D_RX" ] || [ -z "$D_FAST" ] || [ -z "$D_REASM" ] || [ -z "$D_SKBS" ]; then
		ktap_info "ethtool -S $TUN lacks rx_frames/rx_fastpath_frames/rx_reasm_frames/rx_skbs"
		return 1
	fi
	[ "$D_RX" -gt 0 ] || return 1
	[ "$D_ERR" -eq 0 ] || return 1
	[ "$D_FAST" -le "$D_RX" ] && [ "$D_REASM" -le "$D_RX" ]
}

explain()
{
	ktap_info "B's counter changes:"
	stt_show_deltas "$TMP/$1.b0" "$TMP/$1.b1" | ktap_info
}

# 1. TSO: the GSO skb crosses veth whole.
desc="tso: whole frames take the fast path (fastpath > 0, reasm <= 1%, skbs <= frames + 1%)"
if run_cell tso "tso on gso on gro off" &&
	feature_is "$NS_A" "$UL_A" tso on && feature_is "$NS_B" "$UL_B" gro off &&
	[ "$D_TXGSO" -gt 0 ] && [ "$D_FAST" -gt 0 ] &&
	[ $((D_REASM * 100)) -le "$D_RX" ] &&
	[ $((D_SKBS * 100)) -le $((D_RX * 101)) ]; then
	ktap_pass "$desc"
else
	explain tso
	ktap_fail "$desc"
fi

# 2. Software GSO on the sender, GRO (NAPI) on the receiving veth.
desc="gro: segments coalesced by GRO (skbs < half the wire segments, fastpath > 1/4 of the frames)"
if run_cell gro "tso off gso on gro on" &&
	feature_is "$NS_A" "$UL_A" tso off && feature_is "$NS_B" "$UL_B" gro on &&
	[ -n "$D_WIRE" ] && [ $((D_SKBS * 2)) -lt "$D_WIRE" ] &&
	[ $((D_FAST * 4)) -gt "$D_RX" ]; then
	ktap_pass "$desc"
else
	explain gro
	ktap_fail "$desc"
fi

# 3. Plain segments, no GRO: the reassembly table does the work.
desc="seg: segments reassembled (reasm > half the frames, skbs >= 90% of wire segments)"
if run_cell seg "tso off gso on gro off" &&
	feature_is "$NS_A" "$UL_A" tso off && feature_is "$NS_B" "$UL_B" gro off &&
	[ -n "$D_WIRE" ] && [ $((D_REASM * 2)) -gt "$D_RX" ] &&
	[ $((D_SKBS * 10)) -ge $((D_WIRE * 9)) ]; then
	ktap_pass "$desc"
else
	explain seg
	ktap_fail "$desc"
fi

ktap_info "$(nsx "$NS_B" cat /proc/net/stt 2>/dev/null | tr -s "\n " " ")"
check_dmesg
ktap_finished
