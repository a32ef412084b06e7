#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The scale benchmark's tripwire (the full run is "make bench-scale",
# tools/bench/scale.sh; the bulk work is selftests/lib_scale.sh's): a
# small version of each of issue 18's scale parts, failing only far from
# its target.
#   - 200 stt devices (same remote, their own keys) created and deleted
#     in blocks of 50 in netns S beside rx0: all there, rx0 still answers
#     pings among them, all gone after; the last create block <= 3x the
#     first, the delete block at 200 devices <= 3x the one at 50 (target
#     1.5x at 1,000 in blocks of 100);
#   - netns churn: 20 netns, each the underlay of one device, created
#     and deleted, stt and then geneve: stt <= 3x geneve
#     (target 1.5x at 100);
#   - 1,000 lwtunnel routes on an external device, each to its own remote
#     and key: the route in use still carries TCP, at >= 0.5x of its
#     throughput with 1 route, medians of 3 interleaved rounds (target
#     0.9x at 10,000);
#   - a flood of 20,000 first segments, each of its own frame, into B's
#     table lowered to 2 MiB (1 s timeout): every segment reached B, the
#     table filled (evictions), reasm_bytes_max stayed <= high + one 64 KiB
#     segment per other CPU, and the allocator's own count of the memory
#     (growth of the slab objects in use, /proc/slabinfo) was 0.5x-2x stt.ko's
#     sampled peak (target 1.1x at 100,000, make bench-scale); only >= 0.5x
#     on a kernel with KASAN or kmemleak, whose slabs hold more than the
#     live objects (make debug-kernel's).
# It measures time, so make check runs it alone (tools/check.sh's
# QUIET_TESTS).

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_scale.sh"

DEVS=200
BLOCK=50
NETNS=20
ROUTES=1000
SECS=2
ROUNDS=3
FLOOD=20000

scale_note() { ktap_info "$*"; }

ktap_header
stt_require ethtool iperf3 jq ping ss taskset timeout
stt_require_craft
[ -x "$STT_PY" ] || ktap_skip_all "python3 missing"
[ "$(nproc)" -ge 2 ] || ktap_skip_all "needs 2 CPUs (flood on one, sampler on the other)"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
modprobe -q geneve 2>/dev/null
ktap_plan 13

# ---- devices ---------------------------------------------------------------

if scale_setup_pair; then
	ktap_pass "topology: S and P, stt pair rx0 - tx0 pings"
else
	ktap_fail "topology: S and P, stt pair rx0 - tx0 pings"
	ktap_bail "cannot build the topology"
fi

# stt devices in S.
n_stt() { ip -n "$S" -o link show type stt | grep -c .; }

# Run by scale_devs once all devices exist.
with_all()
{
	local n

	n=$(n_stt)
	ktap_check "$DEVS stt devices created in blocks of $BLOCK beside rx0 ($n in S)" \
		"$([ "$n" = $((DEVS + 1)) ]; echo $?)"
	ktap_result "rx0 answers 5 of 5 pings among them" stt_ping "$P" 10.0.0.1 5
}
SCALE_DEVS_HOOK=with_all
if scale_devs "$S" stt "$DEVS" "$BLOCK"; then
	n=$(n_stt)
	ktap_check "deleted in blocks, only rx0 left ($n in S)" "$([ "$n" = 1 ]; echo $?)"
	nb=$((DEVS / BLOCK))
	ktap_info "create, ms per device per block: $(for b in "${SCALE_CREATE_US[@]}"; do printf '%s ' $((b / 1000)); done)"
	ktap_info "delete, ms per device per block: $(for b in "${SCALE_DELETE_US[@]}"; do printf '%s ' $((b / 1000)); done)"
	ktap_info "kernel memory per device: $SCALE_MEM_KB kB (slab $SCALE_SLAB_KB kB)"
	r=$(stt_ratio "${SCALE_CREATE_US[nb]}" "${SCALE_CREATE_US[1]}")
	ktap_check "create: last block ${r}x the first (<= 3; target 1.5 at 1,000)" \
		"$(awk -v r="$r" 'BEGIN { exit !(r != "n/a" && r <= 3) }'; echo $?)"
	r=$(stt_ratio "${SCALE_DELETE_US[1]}" "${SCALE_DELETE_US[nb]}")
	ktap_check "delete: block at $DEVS devices ${r}x the one at $BLOCK (<= 3; target 1.5 at 1,000)" \
		"$(awk -v r="$r" 'BEGIN { exit !(r != "n/a" && r <= 3) }'; echo $?)"
else
	while [ "$KTAP_CNT" -lt 6 ]; do
		ktap_fail "devices: scale_devs failed"
	done
fi

# ---- netns churn -------------------------------------------------------------

setup_ns C || ktap_bail "setup_ns"
declare -A churn=([stt]=0 [geneve]=0)
ok=0
for k in stt geneve; do
	if scale_churn "$C" "$k" "$NETNS"; then
		churn[$k]=$((churn[$k] + SCALE_CHURN_CREATE_US + SCALE_CHURN_DELETE_US))
	else
		ok=1
	fi
done
ktap_check "churn: $NETNS netns with one device each, created and torn down, stt and geneve" "$ok"
r=$(stt_ratio "${churn[stt]}" "${churn[geneve]}")
ktap_info "churn: stt $((churn[stt] / 1000)) ms, geneve $((churn[geneve] / 1000)) ms in all"
ktap_check "churn: stt ${r}x geneve (<= 3; target 1.5 at 100 netns)" \
	"$(awk -v r="$r" -v ok="$ok" 'BEGIN { exit !(ok == 0 && r != "n/a" && r <= 3) }'; echo $?)"

# ---- routes ------------------------------------------------------------------

if ! scale_setup_routes; then
	ktap_fail "routes: external ext0 in A reaches B"
	ktap_bail "cannot build the routes topology"
fi
one=()
many=()
ok=0
for ((r = 1; r <= ROUNDS; r++)); do
	v=$(stt_iperf "$B" 10.1.0.2 "$A" "$SECS") && one+=("$v")
	scale_routes "$A" ext0 "$ROUTES" add || ok=1
	ms=$((SCALE_ROUTES_US / 1000))
	[ "$(ip -n "$A" -o route show dev ext0 | grep -c '^10\.64\.')" = "$ROUTES" ] || ok=1
	w=$(stt_iperf "$B" 10.1.0.2 "$A" "$SECS") && many+=("$w")
	scale_routes "$A" ext0 "$ROUTES" del || ok=1
	ktap_info "round $r: 1 route ${v:-failed} Mbit/s, $ROUTES more (added in $ms ms) ${w:-failed} Mbit/s"
done
ktap_check "routes: $ROUTES lwtunnel routes added and deleted on ext0, iperf3 ran $ROUNDS times each way" \
	"$([ "$ok" = 0 ] && [ "${#one[@]}" = "$ROUNDS" ] && [ "${#many[@]}" = "$ROUNDS" ]; echo $?)"
m1=$(stt_median "${one[@]}")
mn=$(stt_median "${many[@]}")
r=$(stt_ratio "$mn" "$m1")
ktap_info "median: 1 route $m1 Mbit/s, with $ROUTES more $mn Mbit/s"
ktap_result "routes: TCP with $ROUTES more routes ${r}x 1 route (>= 0.5; target 0.9 at 10,000)" \
	stt_ratio_ge "$r" 0.5

# ---- flood -------------------------------------------------------------------

# flood_val KEY: KEY's value in SCALE_FLOOD_RESULT.
flood_val() { stt_kv "$1" "$SCALE_FLOOD_RESULT"; }

high=$((2 << 20))
if scale_setup_flood && scale_flood lowered "$high" $((3 << 19)) 1000 "$FLOOD"; then
	ktap_info "flood: $SCALE_FLOOD_RESULT"
	seg=$(flood_val segments) ev=$(flood_val evictions) hwm=$(flood_val reasm_hwm)
	peak=$(flood_val reasm_peak) slack=$(flood_val slack)
	sp=$(flood_val slab_peak) sb=$(flood_val slab_base)
	grow=$((${sp:-0} - ${sb:-0}))
	ktap_check "flood: $FLOOD first segments reached B (+$seg), the 2 MiB table filled (evictions +$ev)" \
		"$([ "$seg" -ge "$FLOOD" ] && [ "$ev" -gt 0 ]; echo $?)"
	r=$(stt_ratio "$grow" "$peak")
	# On a kernel that keeps freed objects in its slabs (KASAN's
	# quarantine) or puts a tracking object beside each allocation
	# (kmemleak), slab in use is more than the live memory: make
	# debug-kernel's grew 3.57x the peak.  There only the floor holds.
	held=""
	grep -q ' kasan_quarantine_put$' /proc/kallsyms 2>/dev/null &&
		held="KASAN's quarantine"
	[ -e /sys/kernel/debug/kmemleak ] && held="${held:+$held and }kmemleak"
	if [ -z "$held" ]; then
		bound="0.5-2; target 1.1 at 100,000" max=2
	else
		bound=">= 0.5; no upper bound under $held: slab in use is more than is live"
		max=1000000
	fi
	ktap_check "flood: reasm_bytes_max $hwm <= $((high + slack)); slab growth $grow ${r}x the sampled peak $peak ($bound)" \
		"$([ "$hwm" -le $((high + slack)) ] &&
			awk -v r="$r" -v max="$max" 'BEGIN { exit !(r != "n/a" && r >= 0.5 && r <= max) }'; echo $?)"
else
	ktap_fail "flood: $FLOOD first segments reached B, the table filled"
	ktap_fail "flood: memory by stt.ko's count and by the kernel's"
fi

check_dmesg
ktap_finished
