#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Teardown with frames in flight, 20 times (also under SANITIZE=1, where
# slub_debug/KFENCE make each iteration count for more): build a tunnel in
# fresh netns, start traffic (iperf3 A -> B, segmented: A's veth has TSO off, plus
# crafted first segments both ways, held by a 60 s reassembly timeout so
# the tables are certainly not empty), then
#   odd iterations:  delete both netns while the traffic runs;
#   even iterations: rmmod stt while the traffic runs (lsmod must show it
#                    gone), delete the netns, insmod again.
# Afterwards: no WARNING/BUG and no "unregister_netdevice: waiting for"
# in dmesg, no stt netns or device left, Slab: in /proc/meminfo back to
# its baseline within a tolerance measured by control iterations (below),
# skbuff_head_cache's objects too (within 1000; the held segments are ~600
# skbs per iteration).  The stt_frame cache is a cache of its own (never
# merged: SLAB_NO_MERGE, or a constructor before 6.4), and in every netns
# iteration it holds objects while frames are held and none once the netns
# are gone.  A last tunnel must work and satisfy the segment identity.
# The module is left loaded.

source "$(dirname "$0")/lib.sh"

# 20 iterations, in plain and SANITIZE=1 runs alike: about 5 s each in a
# guest alone on the host, 10-15 s beside another VM.
ITER=${STT_TEARDOWN_ITER:-20}
# Slab drifts without any leak: caches grown by netns creation are not all
# given back.  How much is measured, not assumed: CTRL control iterations
# do the same steps (netns, veth, stt devices, a ping and iperf3 on the
# underlay, the netns deleted with iperf3 running) with no STT traffic,
# between two settled Slab readings.  The tolerance for the ITER real
# iterations is that drift scaled to ITER iterations (linear: drift per
# iteration shrinks as caches fill, so this errs wide) plus twice the
# spread of three settled readings of the same moment (the reading's own
# noise), at least 1 MiB.  A leak of the held segments would be ~1 MiB per
# iteration, 20 MiB in all; the tolerance is printed against that (and
# skbuff_head_cache below counts those skbs exactly).
CTRL=${STT_TEARDOWN_CTRL:-6}
SKB_TOL=${STT_SKB_TOL:-1000}

ktap_header
stt_require ethtool iperf3 ping ss timeout
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_require_craft
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
KO=$(stt_ko_path)
[ -f "$KO" ] || ktap_skip_all "no module file to load again: $KO"
# Whatever happens below, leave the module loaded for the next test.
STT_CLEANUP_HOOKS+=("stt_module_loaded || insmod '$KO'")
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 11

slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }

# Give back what can be given back, then read Slab:.
slab_settled_kb()
{
	local f

	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f" 2>/dev/null
	done
	slab_kb
}

# skbuff_head_cache objects in use (SLUB never merges it: it has a
# usercopy region).  The segments held at teardown are such skbs.
skb_objs() { awk '$1 == "skbuff_head_cache" { print $2 }' /proc/slabinfo 2>/dev/null; }

# "cache bytes" (active objects x object size) for every cache.
slabinfo_bytes() { awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo 2>/dev/null; }

# The caches that grew most since the baseline, as diagnostics.
slab_growth()
{
	slabinfo_bytes >"$TMP/slab1"
	awk 'NR == FNR { a[$1] = $2; next }
	     { d = $2 - a[$1]; if (d > 0) printf "%s +%d kB\n", $1, d / 1024 }' \
		"$TMP/slab0" "$TMP/slab1" | sort -t+ -k2 -n -r | head -6 |
		tr '\n' ' '
}

# stt_frame objects in use, from /proc/slabinfo after a shrink (which
# flushes the per-CPU slabs, whose objects /proc/slabinfo counts as active);
# "" if the cache is not listed there (not loaded).
stt_frame_objs()
{
	echo 1 >/sys/kernel/slab/stt_frame/shrink 2>/dev/null
	awk '$1 == "stt_frame" { print $2 }' /proc/slabinfo 2>/dev/null
}
frames_none() { [ "$(stt_frame_objs)" = 0 ]; }

# The cache is its own: an alias of a merged cache is a symlink in
# /sys/kernel/slab, a cache of its own a directory.
frame_cache_own() { [ -d /sys/kernel/slab/stt_frame ] && [ ! -L /sys/kernel/slab/stt_frame ]; }

stt_netns_left() { ip netns list 2>/dev/null | awk '$1 ~ /^stt-/' | grep -c .; }
no_netns_left() { [ "$(stt_netns_left)" -eq 0 ]; }

# One iteration's tunnel and traffic.  Sets HELD (B's reasm_bytes just
# before the teardown).
# iperf_a_to_b IP: one ping, then a 60 s iperf3 from A to B's IP, in the
# background (killed at cleanup).
iperf_a_to_b()
{
	stt_ping "$NS_A" "$1" 1 || return 1
	nsx "$NS_B" timeout 90 iperf3 -s -1 -B "$1" >/dev/null 2>&1 &
	stt_track_pid $!
	stt_wait_for 10 _stt_listening "$NS_B" || return 1
	nsx "$NS_A" timeout 90 iperf3 -c "$1" -t 60 >/dev/null 2>&1 &
	stt_track_pid $!
}

start_traffic()
{
	stt_topo_setup || return 1
	nsx "$NS_A" ethtool -K "$UL_A" tso off >/dev/null 2>&1
	nsx "$NS_B" ethtool -K "$UL_B" tso off gro off >/dev/null 2>&1
	stt_sysctl "$NS_A" reasm_timeout_ms 60000 || return 1
	stt_sysctl "$NS_B" reasm_timeout_ms 60000 || return 1
	iperf_a_to_b "$IN_IP_B" || return 1
	stt_craft "$NS_A" -s "$UL_IP_A" -d "$UL_IP_B" -k "$STT_KEY" -n 300 \
		flood >/dev/null || return 1
	stt_craft "$NS_B" -s "$UL_IP_B" -d "$UL_IP_A" -k "$STT_KEY" -n 300 \
		flood >/dev/null || return 1
	stt_sleep 1
	HELD=$(stt_proc_val "$NS_B" reasm_bytes)
}

# Delete both netns with everything in them running.
kill_netns()
{
	local pids

	pids="$(ip netns pids "$NS_A" 2>/dev/null) $(ip netns pids "$NS_B" 2>/dev/null)"
	ip netns del "$NS_A"
	ip netns del "$NS_B"
	# shellcheck disable=SC2086 # a list of pids
	[ -n "${pids// /}" ] && kill -9 $pids 2>/dev/null
	STT_PIDS=()
	true
}

unload()
{
	local out

	out=$(timeout 60 rmmod stt 2>&1) || { ktap_info "rmmod: $out"; return 1; }
	if lsmod | grep -qw '^stt' || stt_module_loaded; then
		ktap_info "rmmod returned but lsmod still shows stt"
		return 1
	fi
}

# iteration N: returns 0, records failures in the counters below.
ITER_OK=0 HELD_OK=0 RMMOD_N=0 RMMOD_OK=0 INSMOD_OK=0 NETNS_N=0 FRAMES_OK=0
iteration()
{
	local i=$1 mode how t0=$SECONDS fheld fleft

	if [ $((i % 2)) -eq 0 ]; then mode=rmmod; else mode=netns; fi
	HELD=""
	if start_traffic; then
		ITER_OK=$((ITER_OK + 1))
	else
		ktap_info "iteration $i: tunnel or traffic did not start"
	fi
	[ -n "$HELD" ] && [ "$HELD" -gt 0 ] && HELD_OK=$((HELD_OK + 1))
	how="netns deleted"
	if [ "$mode" = rmmod ]; then
		RMMOD_N=$((RMMOD_N + 1))
		if unload; then
			RMMOD_OK=$((RMMOD_OK + 1))
			how="rmmod (gone from lsmod), netns deleted, insmod"
		else
			how="rmmod FAILED"
		fi
	fi
	[ "$mode" = netns ] && fheld=$(stt_frame_objs)
	kill_netns
	if [ "$mode" = rmmod ]; then
		if stt_load_module; then
			INSMOD_OK=$((INSMOD_OK + 1))
		else
			how+=" FAILED"
		fi
	else
		# The frames go with the netns (cleanup_net, asynchronous).
		NETNS_N=$((NETNS_N + 1))
		stt_wait_for 30 frames_none
		fleft=$(stt_frame_objs)
		how+=", stt_frame objects ${fheld:-?} before, ${fleft:-?} after"
		[ "${fheld:-0}" -gt 0 ] && [ "$fleft" = 0 ] && FRAMES_OK=$((FRAMES_OK + 1))
	fi
	ktap_info "iteration $i/$ITER: reasm_bytes held in B ${HELD:-?}; $how;" \
		"Slab $(slab_kb) kB ($((SECONDS - t0)) s)"
}

# A control iteration: the same steps, no STT traffic (the tunnel exists,
# traffic runs on the underlay only).
control_iteration()
{
	stt_topo_setup || return 1
	nsx "$NS_A" ethtool -K "$UL_A" tso off >/dev/null 2>&1
	nsx "$NS_B" ethtool -K "$UL_B" tso off gro off >/dev/null 2>&1
	iperf_a_to_b "$UL_IP_B" || return 1
	stt_sleep 1
}

# settled_kb3: three settled Slab readings; sets SETTLED (the last) and
# SPREAD (max - min).
settled_kb3()
{
	local a b c

	a=$(slab_settled_kb); stt_sleep 1
	b=$(slab_settled_kb); stt_sleep 1
	c=$(slab_settled_kb)
	SETTLED=$c
	SPREAD=$(printf '%s\n' "$a" "$b" "$c" | sort -n | awk 'NR == 1 { l = $1 } { h = $1 } END { print h - l }')
}

# Warm-up: one of each kind, so that caches that grow once are grown.
iteration 0 >/dev/null
iteration 1 >/dev/null
ITER_OK=0 HELD_OK=0 RMMOD_N=0 RMMOD_OK=0 INSMOD_OK=0 NETNS_N=0 FRAMES_OK=0
stt_wait_for 30 no_netns_left
stt_sleep 2

# The control: Slab drift of CTRL iterations without STT traffic.
settled_kb3
CTRL0=$SETTLED NOISE=$SPREAD
CTRL_OK=0
for ((i = 1; i <= CTRL; i++)); do
	control_iteration && CTRL_OK=$((CTRL_OK + 1))
	kill_netns
done
stt_wait_for 30 no_netns_left
stt_sleep 2
settled_kb3
BASE=$SETTLED
[ "$SPREAD" -gt "$NOISE" ] && NOISE=$SPREAD
DRIFT=$((BASE - CTRL0))
SLAB_TOL_KB=$(( (DRIFT > 0 ? DRIFT : 0) * ITER / CTRL + 2 * NOISE ))
[ "$SLAB_TOL_KB" -lt 1024 ] && SLAB_TOL_KB=1024
ktap_info "control: $CTRL_OK of $CTRL iterations without STT traffic; Slab" \
	"$CTRL0 -> $BASE kB (drift $DRIFT kB), settled readings spread $NOISE kB:" \
	"tolerance $SLAB_TOL_KB kB for $ITER iterations (a leak of the held" \
	"segments: ~$((ITER * 1024)) kB)"
SKB_BASE=$(skb_objs)
slabinfo_bytes >"$TMP/slab0"
ktap_info "baseline after the warm-up and the control: Slab $BASE kB," \
	"skbuff_head_cache ${SKB_BASE:-?} objects, stt_frame $(stt_frame_objs) objects"

for ((i = 1; i <= ITER; i++)); do
	iteration "$i"
done

ktap_result "$ITER iterations: tunnel up and traffic started in each ($ITER_OK)" \
	[ "$ITER_OK" -eq "$ITER" ]
ktap_result "frames held in B's reassembly table at every teardown ($HELD_OK of $ITER)" \
	[ "$HELD_OK" -eq "$ITER" ]
ktap_result "rmmod under traffic with frames held: $RMMOD_OK of $RMMOD_N, module gone from lsmod each time" \
	[ "$RMMOD_OK" -eq "$RMMOD_N" -a "$RMMOD_N" -gt 0 ]
ktap_result "insmod after each rmmod ($INSMOD_OK of $RMMOD_N)" \
	[ "$INSMOD_OK" -eq "$RMMOD_N" ]

# The netns go away asynchronously (cleanup_net); give them time.
stt_wait_for 60 no_netns_left
gone()
{
	local n

	n=$(stt_netns_left)
	[ "$n" -eq 0 ] || { ktap_info "$n stt netns left"; return 1; }
	n=$(ip -o link show type stt 2>/dev/null | grep -c .)
	[ "$n" -eq 0 ] || { ktap_info "$n stt devices in the init netns"; return 1; }
}
ktap_result "no stt netns and no stt device left" gone

# stt_wait_for_every STEP SECS CMD...: CMD every STEP seconds, up to SECS.
stt_wait_for_every()
{
	local step=$1 secs=$2 t

	shift 2
	for ((t = 0; t < secs; t += step)); do
		"$@" && return 0
		sleep "$step"
	done
	"$@"
}

slab_back()
{
	local now

	now=$(slab_settled_kb)
	ktap_info "Slab: baseline $BASE kB, now $now kB ($((now - BASE)) kB," \
		"tolerance $SLAB_TOL_KB kB); grew most: $(slab_growth)"
	[ $((now - BASE)) -le "$SLAB_TOL_KB" ]
}
# Freed netns memory takes RCU grace periods and work items (cleanup_net
# runs one batch at a time, slowly under emulation).
ktap_result "Slab back to its baseline within $SLAB_TOL_KB kB" \
	stt_wait_for_every 5 150 slab_back

skbs_back()
{
	local now

	now=$(skb_objs)
	ktap_info "skbuff_head_cache: baseline $SKB_BASE objects, now $now" \
		"($((now - SKB_BASE)), tolerance $SKB_TOL; a leak of the held" \
		"segments would be ~600 per iteration)"
	[ $((now - SKB_BASE)) -le "$SKB_TOL" ]
}
if [ -n "$SKB_BASE" ]; then
	ktap_result "skbuff_head_cache objects back to baseline within $SKB_TOL" \
		stt_wait_for_every 5 60 skbs_back
else
	ktap_skip "skbuff_head_cache objects back to baseline" "no /proc/slabinfo"
fi

if ! frame_cache_own; then
	ktap_info "/sys/kernel/slab/stt_frame: $(ls -ld /sys/kernel/slab/stt_frame 2>&1)"
	ktap_fail "stt_frame: a cache of its own; objects with frames held, none once the netns are gone"
else
	ktap_result "stt_frame: a cache of its own; objects with frames held, none once the netns are gone ($FRAMES_OK of $NETNS_N netns iterations)" \
		[ "$FRAMES_OK" -eq "$NETNS_N" -a "$NETNS_N" -gt 0 ]
fi

# dmesg since the test started, searched for the netdev refcount message.
waiting=$(stt_dmesg_since | grep -E 'unregister_netdevice: waiting for')
if [ -n "$waiting" ]; then
	printf '%s\n' "$waiting" | head -5 | ktap_info
	ktap_fail "no 'unregister_netdevice: waiting for' in dmesg"
else
	ktap_pass "no 'unregister_netdevice: waiting for' in dmesg"
fi

# A tunnel still works after all that.
final()
{
	stt_topo_setup && stt_ping "$NS_A" "$IN_IP_B" 3 1400 &&
		stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" 2 >/dev/null &&
		stt_check_identity "$NS_B" && stt_check_identity "$NS_A"
}
ktap_result "a new tunnel works (ping, iperf3) and its segment identity holds" final
check_dmesg
ktap_finished
