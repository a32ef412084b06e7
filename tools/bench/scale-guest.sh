#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scale-guest.sh: the in-VM half of "make bench-scale" (issue 18's scale
# targets; tools/bench/scale.sh boots the VM and runs this).  Like
# bench-guest.sh it prints what it measures as tagged lines for the host,
#
#   SCALE-META key=value          kernel, settings
#   SCALE-CMD <command>           a command run, for the report
#   SCALE-RESULT key=value...     one measurement
#   SCALE-WARN text               something to look at
#   SCALE-DONE secs=N             the end
#
# and everything else is progress.  Three parts, each measured against its
# own small-scale baseline in this one VM run (selftests/lib_scale.sh does
# the bulk work):
#
# 1. devs: netns S and P joined by a veth (192.0.2.1 - 192.0.2.2); rx0 in
#    S and tx0 in P, a classic stt pair (10.0.0.1 - 10.0.0.2, key 1).
#    64-byte UDP from P to rx0 (received packets per second), rx0 alone;
#    then SCALE_DEVS more stt devices in S (same remote, keys 1001...),
#    created in blocks of SCALE_BLOCK, kernel memory read, the UDP again
#    with all of them there, then deleted in blocks; the UDP alone again;
#    then the same SCALE_DEVS as geneve devices (VNIs 1001...) for the
#    time and memory per device.
# 2. churn: SCALE_NETNS netns, each the underlay netns of one device (the
#    devices sit in netns C: "link-netns X"), created and deleted, stt and
#    geneve in alternating order, for BENCH_ROUNDS rounds.  S's rx0 exists throughout, as a host's own
#    tunnels would: the netfilter hook's static key stays on.
# 3. routes: netns A and B; A has one external stt device (10.1.0.1) with
#    a route to B's classic device (10.1.0.2, key 7); TCP (iperf3, one
#    stream) and 64-byte UDP from A to B with that one route, then with
#    SCALE_ROUTES more lwtunnel routes on A's device, each to its own
#    remote and key; BENCH_ROUNDS rounds.
# 4. flood: netns A and B of selftests/lib.sh's topology (stt0 in each), A's
#    veth with tso off, B's with gro off; SCALE_FLOOD first segments, each
#    of its own frame (tools/stt-craft flood, pinned to CPU 0), once with B's
#    thresholds lowered to 4 MiB / 3 MiB and a 1 s timeout, so that the
#    flood fills the table, and once with B's defaults.  stt_sample.py in B
#    samples reasm_bytes (stt.ko's own count) and the bytes of slab
#    objects in use (/proc/slabinfo, the allocator's count of the memory
#    where each queued sk_buff and its kmalloc'd head live: the
#    independent measure) every 50 ms, from a second before the flood until the table is empty.
#
# Environment:
#   SCALE_DEVS    devices in part 1 (1000)
#   SCALE_BLOCK   devices per block (100)
#   SCALE_NETNS   netns per churn round (100)
#   SCALE_ROUTES  routes in part 3 (10000)
#   SCALE_FLOOD   first segments per flood in part 4 (100000)
#   SCALE_PARTS   which parts ("devs churn routes flood")
#   BENCH_SECS    seconds per iperf3 run (5)
#   BENCH_ROUNDS  rounds (3)
#   STT_KO        stt.ko to load

set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../selftests/lib.sh
source "$REPO/selftests/lib.sh"
# shellcheck source=SCRIPTDIR/../../selftests/lib_scale.sh
source "$REPO/selftests/lib_scale.sh"

DEVS=${SCALE_DEVS:-1000}
BLOCK=${SCALE_BLOCK:-100}
NETNS=${SCALE_NETNS:-100}
ROUTES=${SCALE_ROUTES:-10000}
FLOOD=${SCALE_FLOOD:-100000}
read -r -a PARTS <<<"${SCALE_PARTS:-devs churn routes flood}"
SECS=${BENCH_SECS:-5}
ROUNDS=${BENCH_ROUNDS:-3}

say() { echo "scale: $*"; }
warn() { echo "SCALE-WARN $*"; }
die()
{
	echo "SCALE-FATAL $*"
	exit 1
}
scale_note() { say "$*"; }
result() { echo "SCALE-RESULT $*"; }
cmd()
{
	echo "SCALE-CMD $*"
	"$@"
}

for v in DEVS BLOCK NETNS ROUTES FLOOD SECS ROUNDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v=${!v}: want a whole number >= 1"
done
[ $((DEVS % BLOCK)) = 0 ] || die "SCALE_DEVS=$DEVS is not a multiple of SCALE_BLOCK=$BLOCK"
[ "$ROUTES" -le 65535 ] || die "SCALE_ROUTES=$ROUTES: at most 65535"
for p in "${PARTS[@]}"; do
	case $p in devs | churn | routes | flood) ;; *) die "unknown part $p" ;; esac
done
for c in ip iperf3 jq ping ss timeout; do
	stt_have "$c" || die "missing $c"
done

echo "SCALE-META kernel=$(uname -r)"
echo "SCALE-META uname=$(uname -a)"
echo "SCALE-META cpus=$(nproc)"
echo "SCALE-META mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
echo "SCALE-META devs=$DEVS"
echo "SCALE-META block=$BLOCK"
echo "SCALE-META netns=$NETNS"
echo "SCALE-META routes=$ROUTES"
echo "SCALE-META flood=$FLOOD"
echo "SCALE-META parts=${PARTS[*]}"
echo "SCALE-META secs=$SECS"
echo "SCALE-META rounds=$ROUNDS"
echo "SCALE-META iperf3=$(iperf3 --version 2>/dev/null | head -1)"

modprobe -a veth geneve udp_tunnel ip6_udp_tunnel 2>/dev/null ||
	warn "modprobe veth geneve failed"
stt_load_module >/dev/null || die "cannot load $(stt_ko_path)"
stt_plugin >/dev/null || die "ip does not load the stt plugin"
echo "SCALE-META stt_ko=$(stt_ko_path)"
echo "SCALE-META srcversion=$(cat /sys/module/stt/srcversion 2>/dev/null)"

T_START=$SECONDS

# The S - P pair of part 1 (its rx0 also holds the hook during part 2).
scale_setup_pair || die "cannot set up S and P"
echo "SCALE-CMD # netns S=$S P=$P: veth_s $SCALE_LOCAL - veth_p $SCALE_REMOTE; rx0 in S, tx0 in P: stt key 1, 10.0.0.1 - 10.0.0.2"
echo "SCALE-CMD # per device, in blocks (one ip -n S -batch each):"
echo "SCALE-CMD $(scale_dev_cmd stt s1 1)"
echo "SCALE-CMD $(scale_dev_cmd geneve g1 1)"
echo "SCALE-CMD # 64-byte UDP into rx0: iperf3 -s -1 -B 10.0.0.1 (in S); iperf3 -c 10.0.0.1 -t $SECS -u -l 64 -b 0 -J (in P)"

# pps_rounds OTHERS TAG: ROUNDS runs of 64-byte UDP into rx0.
pps_rounds()
{
	local others=$1 tag=$2 r v

	for ((r = 1; r <= ROUNDS; r++)); do
		stt_sleep 1
		if v=$(scale_kpps "$S" 10.0.0.1 "$P" "$SECS"); then
			result "part=devs test=pps phase=$tag round=$r others=$others kpps=$v"
			say "64-byte UDP into rx0, $others other devices ($tag, round $r): $v kpps"
		else
			result "part=devs test=pps phase=$tag round=$r others=$others kpps= failed=1"
			warn "pps run failed ($tag, round $r)"
		fi
	done
}

# devs_kind KIND: scale_devs for KIND and its results.
devs_kind()
{
	local kind=$1 b nb=$((DEVS / BLOCK))

	scale_devs "$S" "$kind" "$DEVS" "$BLOCK" || { warn "$kind: scale_devs failed"; return 1; }
	for ((b = 1; b <= nb; b++)); do
		result "part=devs test=block kind=$kind op=create block=$b devs_after=$((b * BLOCK)) us_per_dev=${SCALE_CREATE_US[b]} ip_ms=$((SCALE_IP_US[b - 1] / 1000))"
		result "part=devs test=block kind=$kind op=delete block=$b devs_before=$((DEVS - (b - 1) * BLOCK)) us_per_dev=${SCALE_DELETE_US[b]} ip_ms=$((SCALE_IP_US[nb + b - 1] / 1000))"
	done
	result "part=devs test=mem kind=$kind devs=$DEVS kmem_kb_per_dev=$SCALE_MEM_KB slab_kb_per_dev=$SCALE_SLAB_KB kmem_kb_left=$SCALE_MEM_BACK_KB"
}

part_devs()
{
	say "part devs: rx0 alone, then with $DEVS stt devices, then alone again; then $DEVS geneve devices"
	pps_rounds 0 alone-before
	SCALE_DEVS_HOOK="pps_rounds $DEVS with-others"
	devs_kind stt
	SCALE_DEVS_HOOK=""
	pps_rounds 0 alone-after
	devs_kind geneve
}

part_churn()
{
	local r k kinds

	say "part churn: $NETNS netns with one device each, created and deleted, $ROUNDS rounds"
	setup_ns C || die "setup_ns"
	echo "SCALE-CMD # churn, one ip -n C -batch to create (C=$C): netns add X (x$NETNS), then per netns:"
	echo "SCALE-CMD $(scale_dev_cmd stt c1 1 X)"
	echo "SCALE-CMD $(scale_dev_cmd geneve c1 1 X)"
	echo "SCALE-CMD # one ip -batch to delete: netns del X (x$NETNS); done when /sys/module/stt/parameters/nr_netns is back"
	for ((r = 1; r <= ROUNDS; r++)); do
		kinds="stt geneve"
		[ $((r % 2)) = 0 ] && kinds="geneve stt"
		for k in $kinds; do
			stt_sleep 2
			if scale_churn "$C" "$k" "$NETNS"; then
				result "part=churn kind=$k round=$r netns=$NETNS create_ms=$((SCALE_CHURN_CREATE_US / 1000)) delete_ms=$((SCALE_CHURN_DELETE_US / 1000))"
			else
				result "part=churn kind=$k round=$r netns=$NETNS failed=1"
				warn "churn $k round $r failed"
			fi
		done
	done
}

part_routes()
{
	local r n v w

	say "part routes: one external device, 1 route against $ROUTES more, $ROUNDS rounds"
	scale_setup_routes || die "cannot set up A and B"
	echo "SCALE-CMD # routes: netns A=$A B=$B: veth_a 192.0.2.1 - veth_b 192.0.2.2; ext0 in A: stt external, 10.1.0.1, route 10.1.0.2/32 encap ip id 7 dst 192.0.2.2; stt0 in B: stt key 7, 10.1.0.2"
	echo "SCALE-CMD # each of the $ROUTES routes (one ip -n A -batch):"
	echo "SCALE-CMD $(scale_route_cmd add 1 ext0)"
	echo "SCALE-CMD # TCP: iperf3 -c 10.1.0.2 -t $SECS -J; UDP: iperf3 -c 10.1.0.2 -t $SECS -u -l 64 -b 0 -J (from A)"
	for ((r = 1; r <= ROUNDS; r++)); do
		for n in 0 "$ROUTES"; do
			if [ "$n" -gt 0 ]; then
				scale_routes "$A" ext0 "$ROUTES" add || die "adding $ROUTES routes failed"
				result "part=routes test=op op=add round=$r routes=$ROUTES ms=$((SCALE_ROUTES_US / 1000))"
				say "round $r: $ROUTES routes added in $((SCALE_ROUTES_US / 1000)) ms"
			fi
			for w in tcp udp64; do
				stt_sleep 1
				if [ "$w" = tcp ]; then
					v=$(stt_iperf "$B" 10.1.0.2 "$A" "$SECS")
				else
					v=$(scale_kpps "$B" 10.1.0.2 "$A" "$SECS")
				fi
				if [ -n "$v" ]; then
					result "part=routes test=$w round=$r others=$n value=$v unit=$([ "$w" = tcp ] && echo Mbit/s || echo kpps)"
					say "round $r, $n other routes: $w $v $([ "$w" = tcp ] && echo Mbit/s || echo kpps)"
				else
					result "part=routes test=$w round=$r others=$n value= failed=1"
					warn "routes $w round $r with $n routes failed"
				fi
			done
			if [ "$n" -gt 0 ]; then
				scale_routes "$A" ext0 "$ROUTES" del || die "deleting $ROUTES routes failed"
				result "part=routes test=op op=del round=$r routes=$ROUTES ms=$((SCALE_ROUTES_US / 1000))"
				say "round $r: $ROUTES routes deleted in $((SCALE_ROUTES_US / 1000)) ms"
			fi
		done
	done
}

# flood_phase NAME HIGH LOW TIMEOUT_MS N: scale_flood and its results.
flood_phase()
{
	scale_flood "$@" || die "flood $1 failed"
	result "part=flood phase=$1 $SCALE_FLOOD_RESULT"
	say "flood $1: $SCALE_FLOOD_RESULT"
	echo "SCALE-SAMPLES part=flood phase=$1 $(awk '{ printf "%s:%s:%s ", $1, $2, $3 }' "$SCALE_FLOOD_SAMPLES")"
}

part_flood()
{
	local def_high def_low def_tmo

	say "part flood: $FLOOD first segments into B, lowered and default thresholds"
	scale_setup_flood || die "cannot set up A and B"
	def_high=$(stt_sysctl "$NS_B" reasm_high_thresh)
	def_low=$(stt_sysctl "$NS_B" reasm_low_thresh)
	def_tmo=$(stt_sysctl "$NS_B" reasm_timeout_ms)
	echo "SCALE-CMD # flood: netns A, B: veth_a $UL_IP_A (tso off) - veth_b $UL_IP_B (gro off); stt0 in each, key $STT_KEY"
	echo "SCALE-CMD taskset -c 0 ip netns exec A tools/stt-craft -s $UL_IP_A -d $UL_IP_B -P 40002 -k $STT_KEY -n $FLOOD flood"
	echo "SCALE-CMD taskset -c 1 ip netns exec B selftests/stt_sample.py SAMPLES 50 STOPFILE   # reasm_bytes and slab objects in use"
	# Lowered first: reasm_bytes_max counts from B's creation.
	flood_phase lowered $((4 << 20)) $((3 << 20)) 1000 "$FLOOD"
	flood_phase default "$def_high" "$def_low" "$def_tmo" "$FLOOD"
}

for p in "${PARTS[@]}"; do
	t0=$SECONDS
	"part_$p"
	say "part $p: $((SECONDS - t0)) s"
	echo "SCALE-META secs.$p=$((SECONDS - t0))"
done

bad=$(dmesg | grep -E "$STT_DMESG_BAD" | head -5)
[ -z "$bad" ] || warn "dmesg: $bad"
echo "SCALE-DONE secs=$((SECONDS - T_START))"
