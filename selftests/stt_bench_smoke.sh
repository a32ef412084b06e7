#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's regression tripwire (the full benchmark is "make bench",
# tools/bench/): in the "wire" profile (sender tso off, receiver gro on, no
# tunnel segmentation offload on the veths), iperf3 over STT and over the
# plain underlay, interleaved, 3 rounds of STT_SMOKE_SECS (3) seconds.
# Fails only if STT's median is below 0.5x plain's: not the target of
# issue 6 (0.9x), a floor that catches a data path that fell off a cliff.
# Then make bench-jumbo's kinds, one short round of its guest script in the
# lossy profile (wire-loss: 0.1% netem loss on both veths): stt at inner
# MTU 9000 and 65000 and vxlan at 9000 over the 1500-byte underlay each
# carry a TCP stream, the stt ones through their devices.  Then make
# bench-streams' workload, 128 parallel TCP streams over stt in wire-nogro
# for 2 s: data moved, B reassembled frames, and the 50 ms samples of B's
# reasm_bytes saw the table in use and never above reasm_high_thresh.

source "$(dirname "$0")/lib.sh"

SECS=${STT_SMOKE_SECS:-3}
ROUNDS=3

ktap_header
stt_require ethtool iperf3 ping ss timeout
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
ktap_plan 9

if stt_topo_setup; then
	ktap_pass "topology: two netns, veth underlay, $TUN in each"
else
	ktap_fail "topology: two netns, veth underlay, $TUN in each"
	ktap_bail "cannot build the topology"
fi

WIRE="tso off gso on gro on tx-udp_tnl-segmentation off tx-udp_tnl-csum-segmentation off
tx-gre-segmentation off tx-gre-csum-segmentation off"
ok=0
# shellcheck disable=SC2086 # a word list
nsx "$NS_A" ethtool -K "$UL_A" $WIRE >/dev/null 2>&1
# shellcheck disable=SC2086
nsx "$NS_B" ethtool -K "$UL_B" $WIRE >/dev/null 2>&1
for dev in "$NS_A:$UL_A" "$NS_B:$UL_B"; do
	nsx "${dev%%:*}" ethtool -k "${dev#*:}" |
		grep -qx 'tcp-segmentation-offload: off' || ok=1
	nsx "${dev%%:*}" ethtool -k "${dev#*:}" |
		grep -qx 'generic-receive-offload: on' || ok=1
done
ktap_check "wire profile on both veths (tso off, gro on)" "$ok"

stt=()
plain=()
for ((r = 1; r <= ROUNDS; r++)); do
	s=$(stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" "$SECS") && stt+=("$s")
	p=$(stt_iperf "$NS_B" "$UL_IP_B" "$NS_A" "$SECS") && plain+=("$p")
	ktap_info "round $r: STT ${s:-failed} Mbit/s, plain ${p:-failed} Mbit/s"
done

ktap_check "iperf3 ran $ROUNDS times over STT and over plain" \
	"$([ "${#stt[@]}" = "$ROUNDS" ] && [ "${#plain[@]}" = "$ROUNDS" ]; echo $?)"
ms=$(stt_median "${stt[@]}")
mp=$(stt_median "${plain[@]}")
ratio=$(stt_ratio "$ms" "$mp")
ktap_info "median STT $ms Mbit/s, plain $mp Mbit/s: STT/plain $ratio (issue 6's target: 0.9)"
ktap_result "wire: STT >= 0.5x plain (regression tripwire)" \
	stt_ratio_ge "$ratio" 0.5

declare -A JUMBO_MTU=([stt9k]=9000 [stt64k]=65000 [vxlan9k]=9000)
if stt_bench_guest wire-loss stt9k stt64k vxlan9k; then
	for k in stt9k stt64k vxlan9k; do
		ktap_result "bench-jumbo kind $k: TCP at inner MTU ${JUMBO_MTU[$k]} over the 1500-byte underlay with 0.1% loss" \
			stt_bench_moved "$k"
	done
else
	for k in stt9k stt64k vxlan9k; do
		ktap_skip "bench-jumbo kind $k: tools/bench/ is not next to the selftests"
	done
fi

# streams_ok: the 128-stream run moved data through B's reassembly, and
# its sampled peak is in (0, reasm_high_thresh].
streams_ok()
{
	local high

	stt_bench_moved stt || return 1
	high=$(sed -n 's/^BENCH-META reasm_high_thresh=\([0-9]*\)$/\1/p' <<<"$STT_BENCH_OUT")
	grep "^BENCH-STT .*workload=tcp128 kind=stt " <<<"$STT_BENCH_OUT" |
		awk -v high="${high:-0}" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
			END { exit !(NR == 1 && v["rx_reasm_frames"] > 0 &&
				v["peak_reasm_bytes"] > 0 && v["peak_reasm_bytes"] <= high + 0) }'
}

if STT_BENCH_WORKLOADS=tcp128 STT_BENCH_PEAK=1 stt_bench_guest wire-nogro stt; then
	ktap_result "bench-streams: 128 TCP streams over stt in wire-nogro, frames reassembled in B, sampled reasm_bytes peak in (0, reasm_high_thresh]" \
		streams_ok
else
	ktap_skip "bench-streams: tools/bench/ is not next to the selftests"
fi
check_dmesg
ktap_finished
