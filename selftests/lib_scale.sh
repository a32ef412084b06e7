# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the SCALE_* results are for the caller
#
# The scale measurements of issue 18, shared by "make bench-scale"
# (tools/bench/scale-guest.sh) and its tripwire in make check
# (stt_scale_smoke.sh).  Source lib.sh first, then this file; it is not a
# test.  Bulk operations go through one "ip -batch" each (every process
# start costs 0.2 s or more under TCG) and time themselves with bash's
# EPOCHREALTIME (no process at all).  Progress goes through scale_note,
# which the caller may redefine (the default prints nothing).
#
#   scale_devs NS KIND N BLOCK         N devices of KIND (stt or geneve) in
#                                      NS, created and then deleted in
#                                      blocks of BLOCK
#   scale_kmem                         the kernel's memory now
#   scale_churn NS KIND N              N netns, each the underlay of one
#                                      KIND device, created and deleted
#   scale_routes NS DEV N add|del      N lwtunnel routes on external DEV
#   scale_setup_pair                   netns S and P, an stt pair rx0-tx0
#   scale_setup_routes                 netns A (external ext0) and B
#   scale_setup_flood                  netns A and B of lib.sh's topology,
#                                      A's veth tso off, B's gro off
#   scale_flood NAME HIGH LOW TMO N    N first segments from A into B with
#                                      those thresholds, B's reasm_bytes and
#                                      the kernel's slab sampled
#
# Every device of scale_devs and scale_churn has the same remote
# (SCALE_REMOTE) and local (SCALE_LOCAL) addresses and its own key or
# VNI, and is created up, as a deployment would have it.

SCALE_REMOTE=${SCALE_REMOTE:-192.0.2.2}
SCALE_LOCAL=${SCALE_LOCAL:-192.0.2.1}
# Device i has key / VNI SCALE_KEY0 + i.
SCALE_KEY0=${SCALE_KEY0:-1000}

scale_note() { :; }

# scale_t VAR: microseconds since the epoch into VAR.
scale_t()
{
	local t=${EPOCHREALTIME/[.,]/}

	printf -v "$1" '%s' "$t"
}

# scale_dev_cmd KIND NAME I [NETNS]: the "ip -batch" line that creates
# device NAME, the I-th of its kind, up (with its underlay in NETNS, when
# given).
scale_dev_cmd()
{
	local kind=$1 name=$2 i=$3 where=""

	[ -n "${4:-}" ] && where="link-netns $4"
	case $kind in
	stt)
		echo "link add $name $where up type stt remote $SCALE_REMOTE" \
			"local $SCALE_LOCAL key $((SCALE_KEY0 + i))"
		;;
	geneve)
		echo "link add $name $where up type geneve id $((SCALE_KEY0 + i))" \
			"remote $SCALE_REMOTE"
		;;
	*)
		echo "scale: unknown kind $kind" >&2
		return 1
		;;
	esac
}

# scale_batch NS VAR: run the "ip -batch" lines on stdin (in NS unless it
# is "-"), and its wall time in microseconds into VAR.  Fails if ip does.
scale_batch()
{
	local ns=$1 var=$2 t0 t1 rc nsopt=()

	[ "$ns" = - ] || nsopt=(-n "$ns")
	scale_t t0
	stt_run ip "${nsopt[@]}" -batch -
	rc=$?
	scale_t t1
	printf -v "$var" '%s' $((t1 - t0))
	return "$rc"
}

# scale_kmem: kernel memory in use, in kB, into SCALE_KMEM (MemTotal less
# MemFree and the LRU lists, i.e. less page cache, tmpfs and processes'
# anonymous memory: slab, page tables, per-CPU areas, vmalloc, kmalloc's
# page-sized allocations), and Slab into SCALE_SLAB.  Read by bash, no
# process: a process started here would be in the figure.
scale_kmem()
{
	local k v total=0 free=0 lru=0

	SCALE_SLAB=0
	while read -r k v _; do
		case $k in
		MemTotal:) total=$v ;;
		MemFree:) free=$v ;;
		Active:|Inactive:|Unevictable:) lru=$((lru + v)) ;;
		Slab:) SCALE_SLAB=$v ;;
		esac
	done </proc/meminfo
	SCALE_KMEM=$((total - free - lru))
}

# scale_settle: let RCU callbacks and deferred frees run before memory is
# read (two grace periods' worth under TCG, without a process).
scale_settle() { stt_sleep "${SCALE_SETTLE:-2}"; }

# scale_devs NS KIND N BLOCK: create N devices of KIND in NS in blocks of
# BLOCK (one ip -batch each), read the memory, delete them in blocks, in
# the order they were created.  Right before each block an empty ip -batch
# in NS measures what starting ip costs (0.1-0.7 s under TCG, as much as
# creating 100 devices): reported, not taken off (one sample is too noisy
# to subtract: it made blocks negative).  Results:
#   SCALE_CREATE_US[b], SCALE_DELETE_US[b]  microseconds per device of
#                                           block b (1-based); create
#                                           block b ends with b * BLOCK
#                                           devices, delete block b starts
#                                           with N - (b - 1) * BLOCK
#   SCALE_MEM_KB, SCALE_SLAB_KB             kernel memory and slab per
#                                           device, in kB (decimals)
#   SCALE_MEM_BACK_KB                       kernel memory after deleting
#                                           them, minus before creating
#   SCALE_IP_US                             each empty ip -batch's time
# SCALE_DEVS_HOOK, if set, is run (eval) once all N devices exist.
scale_devs()
{
	local ns=$1 kind=$2 n=$3 block=$4 nb b i us ip0 k0 s0 k1 s1 p cmds

	p=${kind:0:1}
	nb=$((n / block))
	SCALE_CREATE_US=()
	SCALE_DELETE_US=()
	SCALE_IP_US=()
	scale_settle
	scale_kmem
	k0=$SCALE_KMEM s0=$SCALE_SLAB
	for ((b = 1; b <= nb; b++)); do
		cmds=$(for ((i = (b - 1) * block + 1; i <= b * block; i++)); do
			scale_dev_cmd "$kind" "$p$i" "$i"
		done)
		scale_batch "$ns" ip0 <<<"" || return 1
		scale_batch "$ns" us <<<"$cmds" || return 1
		SCALE_IP_US+=("$ip0")
		SCALE_CREATE_US[b]=$((us / block))
		scale_note "$kind: create block $b/$nb ($((b * block)) devices): ${SCALE_CREATE_US[b]} us per device (an empty ip -batch: $((ip0 / 1000)) ms)"
	done
	scale_settle
	scale_kmem
	k1=$SCALE_KMEM s1=$SCALE_SLAB
	SCALE_MEM_KB=$(awk -v a="$k0" -v b="$k1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')
	SCALE_SLAB_KB=$(awk -v a="$s0" -v b="$s1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')
	scale_note "$kind: $n devices: kernel memory +$((k1 - k0)) kB ($SCALE_MEM_KB kB per device), slab +$((s1 - s0)) kB ($SCALE_SLAB_KB kB per device)"
	if [ -n "${SCALE_DEVS_HOOK:-}" ]; then
		eval "$SCALE_DEVS_HOOK" || return 1
	fi
	for ((b = 1; b <= nb; b++)); do
		cmds=$(for ((i = (b - 1) * block + 1; i <= b * block; i++)); do
			echo "link del $p$i"
		done)
		scale_batch "$ns" ip0 <<<"" || return 1
		scale_batch "$ns" us <<<"$cmds" || return 1
		SCALE_IP_US+=("$ip0")
		SCALE_DELETE_US[b]=$((us / block))
		scale_note "$kind: delete block $b/$nb ($((n - (b - 1) * block)) devices before): ${SCALE_DELETE_US[b]} us per device (an empty ip -batch: $((ip0 / 1000)) ms)"
	done
	scale_settle
	scale_kmem
	SCALE_MEM_BACK_KB=$((SCALE_KMEM - k0))
}

# scale_nr_netns: network namespaces alive, as stt.ko counts them (every
# netns has its pernet state while the module is loaded; its count drops
# in stt's exit_batch, after the netns's devices of every kind are gone).
scale_nr_netns() { cat /sys/module/stt/parameters/nr_netns 2>/dev/null; }

_scale_netns_back() { [ "$(scale_nr_netns)" -le "$1" ] 2>/dev/null; }

# scale_churn NS KIND N: create N netns (one ip -batch of netns add X),
# each the underlay netns of one KIND device (one ip -n NS -batch of link
# add cI link-netns X ...: the device sits in NS, its hook or socket in X, and it
# goes when X goes, as a device inside X would; an "ip -batch" cannot run
# in N netns, and moving a device into X afterwards would take it down),
# then delete the N netns (one ip -batch of netns del) and wait until the
# kernel has torn them down (scale_nr_netns back to where it was).
# SCALE_CHURN_CREATE_US and SCALE_CHURN_DELETE_US: the two times, in
# microseconds for all N.  Needs stt.ko loaded, whatever KIND.
SCALE_CHURN_RUN=0
scale_churn()
{
	local ns=$1 kind=$2 n=$3 i base us t0 t1 cmds ok=0 names=()

	base=$(scale_nr_netns)
	[ -n "$base" ] || { scale_note "churn: no /sys/module/stt/parameters/nr_netns"; return 1; }
	SCALE_CHURN_RUN=$((SCALE_CHURN_RUN + 1))
	for ((i = 1; i <= n; i++)); do
		names+=("stt-churn-$$-$SCALE_CHURN_RUN-$i")
	done
	STT_NS_LIST+=("${names[@]}")
	# Two batches: "netns add" in an "ip -n NS" would mount the netns in
	# that ip's own mount namespace only.
	cmds=$(printf 'netns add %s\n' "${names[@]}")
	scale_batch - us <<<"$cmds" || ok=1
	cmds=$(for ((i = 1; i <= n; i++)); do
			scale_dev_cmd "$kind" "c$i" "$i" "${names[i - 1]}"
		done)
	if [ "$ok" != 0 ] || ! scale_batch "$ns" SCALE_CHURN_CREATE_US <<<"$cmds" ||
		[ "$(scale_nr_netns)" -ne $((base + n)) ] ||
		[ "$(_scale_churn_devs "$ns" "$kind")" -ne "$n" ]; then
		scale_note "churn: $(scale_nr_netns) netns, want $((base + n)); $(_scale_churn_devs "$ns" "$kind") $kind devices, want $n"
		ok=1
	fi
	SCALE_CHURN_CREATE_US=$((SCALE_CHURN_CREATE_US + us))
	scale_t t0
	printf 'netns del %s\n' "${names[@]}" | stt_run ip -batch - || return 1
	# Polled every 20 ms: the wait is what is measured.
	for ((i = 0; i < 6000; i++)); do
		_scale_netns_back "$base" && break
		stt_sleep 0.02
	done
	scale_t t1
	_scale_netns_back "$base" ||
		{ scale_note "churn: $(scale_nr_netns) netns after 120 s, want $base"; return 1; }
	SCALE_CHURN_DELETE_US=$((t1 - t0))
	# Gone: off the cleanup list (each entry costs two processes at exit).
	_scale_untrack "stt-churn-$$-$SCALE_CHURN_RUN-"
	[ "$(_scale_churn_devs "$ns" "$kind")" -eq 0 ] ||
		{ scale_note "churn: $kind devices left after their netns went"; return 1; }
	us=$((SCALE_CHURN_CREATE_US + SCALE_CHURN_DELETE_US))
	scale_note "$kind: $n netns created in $((SCALE_CHURN_CREATE_US / 1000)) ms, deleted in $((SCALE_CHURN_DELETE_US / 1000)) ms ($((us / n / 1000)) ms per netns)"
	return "$ok"
}

# _scale_untrack PREFIX: drop the netns named PREFIX* from lib.sh's
# cleanup list.
_scale_untrack()
{
	local ns keep=()

	for ns in "${STT_NS_LIST[@]}"; do
		[[ $ns == "$1"* ]] || keep+=("$ns")
	done
	STT_NS_LIST=("${keep[@]}")
}

# _scale_churn_devs NS KIND: how many of scale_churn's devices NS has.
_scale_churn_devs()
{
	ip -n "$1" -o link show type "$2" | grep -c ': c[0-9]'
}

# scale_route_cmd add|del I DEV: the "ip -batch" line for lwtunnel route I
# (1-based, up to 65535) through DEV: to 10.64.0.0/16, each to its own
# remote in 198.18.0.0/16 (RFC 2544's benchmarking range), key 100000 + I.
scale_route_cmd()
{
	local op=$1 i=$2 dev=$3 dst

	dst="10.64.$((i >> 8)).$((i & 255))/32"
	if [ "$op" = add ]; then
		echo "route add $dst encap ip id $((100000 + i))" \
			"dst 198.18.$((i >> 8)).$((i & 255)) dev $dev"
	else
		echo "route del $dst dev $dev"
	fi
}

# scale_routes NS DEV N add|del: N lwtunnel routes through external DEV
# (scale_route_cmd), added or deleted in one ip -batch; the time in
# microseconds in SCALE_ROUTES_US.
scale_routes()
{
	local ns=$1 dev=$2 n=$3 op=$4 i cmds

	cmds=$(for ((i = 1; i <= n; i++)); do
		scale_route_cmd "$op" "$i" "$dev"
	done)
	scale_batch "$ns" SCALE_ROUTES_US <<<"$cmds"
}

# scale_kpps SRV_NS SRV_IP CLI_NS SECS: 64-byte UDP, as fast as iperf3
# sends it; prints the packets the server received, in thousands per
# second.
scale_kpps()
{
	local mbps

	mbps=$(stt_iperf "$1" "$2" "$3" "$4" -u -l 64 -b 0) || return 1
	awk -v m="$mbps" 'BEGIN { printf "%.2f\n", m * 1e6 / (64 * 8) / 1000 }'
}

# scale_setup_pair: netns S and P joined by a veth (SCALE_LOCAL in S,
# SCALE_REMOTE in P), rx0 in S and tx0 in P, a classic stt pair (key 1,
# 10.0.0.1 in S, 10.0.0.2 in P) that pings.
scale_setup_pair()
{
	setup_ns S P || return 1
	stt_run ip link add veth_s netns "$S" type veth peer name veth_p netns "$P" ||
		return 1
	stt_run ip -n "$S" -batch - <<-EOF || return 1
		addr add $SCALE_LOCAL/24 dev veth_s
		link set veth_s up
		link add rx0 type stt remote $SCALE_REMOTE local $SCALE_LOCAL key 1
		addr add 10.0.0.1/24 dev rx0
		link set rx0 up
	EOF
	stt_run ip -n "$P" -batch - <<-EOF || return 1
		addr add $SCALE_REMOTE/24 dev veth_p
		link set veth_p up
		link add tx0 type stt remote $SCALE_LOCAL local $SCALE_REMOTE key 1
		addr add 10.0.0.2/24 dev tx0
		link set tx0 up
	EOF
	stt_wait_for 10 nsx "$P" ping -q -c 1 -W 1 10.0.0.1 >/dev/null
}

# scale_setup_routes: netns A and B joined by a veth (192.0.2.1 -
# 192.0.2.2); in A the external ext0 (10.1.0.1) with one lwtunnel route to
# B's classic stt0 (10.1.0.2, key 7); static inner neighbours (an external
# device has nowhere to send an ARP request).  Pings.
SCALE_A_MAC=02:53:54:00:00:01
SCALE_B_MAC=02:53:54:00:00:02
scale_setup_routes()
{
	setup_ns A B || return 1
	stt_run ip link add veth_a netns "$A" type veth peer name veth_b netns "$B" ||
		return 1
	stt_run ip -n "$A" -batch - <<-EOF || return 1
		addr add 192.0.2.1/24 dev veth_a
		link set veth_a up
		link add ext0 address $SCALE_A_MAC type stt external
		addr add 10.1.0.1/24 dev ext0
		link set ext0 up
		neigh add 10.1.0.2 lladdr $SCALE_B_MAC dev ext0 nud permanent
		route add 10.1.0.2/32 encap ip id 7 dst 192.0.2.2 dev ext0
	EOF
	stt_run ip -n "$B" -batch - <<-EOF || return 1
		addr add 192.0.2.2/24 dev veth_b
		link set veth_b up
		link add stt0 address $SCALE_B_MAC type stt remote 192.0.2.1 local 192.0.2.2 key 7
		addr add 10.1.0.2/24 dev stt0
		link set stt0 up
		neigh add 10.1.0.1 lladdr $SCALE_A_MAC dev stt0 nud permanent
	EOF
	stt_wait_for 10 nsx "$A" ping -q -c 1 -W 1 10.1.0.2 >/dev/null
}

# scale_setup_flood: lib.sh's two netns NS_A and NS_B (stt0 in each, key
# STT_KEY), A's veth with tso off and B's with gro off, so that every
# segment of a frame reaches B's table on its own.
scale_setup_flood()
{
	[ -x "$STT_CRAFT" ] || { scale_note "tools/stt-craft not built (make tools)"; return 1; }
	SCALE_FLOOD_TMP=""
	stt_tmpdir SCALE_FLOOD_TMP || return 1
	stt_topo_setup "" || return 1
	nsx "$NS_A" ethtool -K "$UL_A" tso off >/dev/null 2>&1 || return 1
	nsx "$NS_B" ethtool -K "$UL_B" gro off >/dev/null 2>&1
}

# scale_flood NAME HIGH LOW TIMEOUT_MS N: B's thresholds set, then N first
# segments, each of its own frame, from A (tools/stt-craft flood, on CPU
# 0) while stt_sample.py in B (on CPU 1) samples every 50 ms, from a second
# before the flood until B's table is empty again: B's reasm_bytes
# (stt.ko's own count) and the bytes of slab objects in use, from
# /proc/slabinfo (the allocator's count of the memory where each queued
# sk_buff and its kmalloc'd head live: a measure that owes nothing to
# stt.ko).  Sets SCALE_FLOOD_RESULT
# (key=value words: reasm_peak, reasm_hwm, slab_base, slab_peak, segments,
# timeouts, evictions...) and SCALE_FLOOD_SAMPLES (a file of "t reasm slab"
# lines).
scale_flood()
{
	local name=$1 high=$2 low=$3 tmo=$4 n=$5 d=$SCALE_FLOOD_TMP out t0 ms v sampler

	stt_reasm_limits "$NS_B" "$high" "$low" "$tmo" ||
		{ scale_note "flood $name: cannot set B's thresholds"; return 1; }
	stt_wait_reasm_idle "$NS_B" || scale_note "flood $name: B's table not empty before"
	stt_sleep 2
	rm -f "$d/stop" "$d/samples"
	stt_snap "$NS_B" "$TUN" "$d/b0"
	taskset -c 1 ip netns exec "$NS_B" "$STT_PY" "$STT_SELFTESTS/stt_sample.py" \
		"$d/samples" 50 "$d/stop" >"$d/sampler" 2>&1 &
	sampler=$!
	stt_track_pid "$sampler"
	stt_wait_for 20 test -s "$d/samples" || scale_note "flood $name: the sampler did not start"
	stt_sleep 1
	t0=$EPOCHREALTIME
	out=$(taskset -c 0 ip netns exec "$NS_A" "$STT_CRAFT" -s "$UL_IP_A" -d "$UL_IP_B" \
		-P 40002 -k "$STT_KEY" -n "$n" flood 2>&1) ||
		scale_note "flood $name: stt-craft: $out"
	ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
	stt_wait_reasm_idle "$NS_B" || scale_note "flood $name: B's table did not empty"
	stt_sleep 1
	touch "$d/stop"
	wait "$sampler"
	stt_snap "$NS_B" "$TUN" "$d/b1"
	v=$(cat "$d/sampler")
	SCALE_FLOOD_SAMPLES=$d/samples
	SCALE_FLOOD_RESULT="high=$high low=$low timeout_ms=$tmo frames=$n send_ms=$ms"
	SCALE_FLOOD_RESULT+=" samples=$(stt_kv samples "$v")"
	SCALE_FLOOD_RESULT+=" reasm_peak=$(stt_kv max "$v")"
	SCALE_FLOOD_RESULT+=" reasm_hwm=$(stt_val "$d/b1" proc.reasm_bytes_max)"
	SCALE_FLOOD_RESULT+=" slab_base=$(stt_kv slab_first "$v")"
	SCALE_FLOOD_RESULT+=" slab_peak=$(stt_kv slab_max "$v")"
	SCALE_FLOOD_RESULT+=" segments=$(stt_delta "$d/b0" "$d/b1" proc.rx_segments)"
	SCALE_FLOOD_RESULT+=" timeouts=$(stt_delta "$d/b0" "$d/b1" proc.reasm_timeouts)"
	SCALE_FLOOD_RESULT+=" evictions=$(stt_delta "$d/b0" "$d/b1" proc.reasm_evictions)"
	SCALE_FLOOD_RESULT+=" mem_drops=$(stt_delta "$d/b0" "$d/b1" proc.reasm_mem_drops)"
	SCALE_FLOOD_RESULT+=" slack=$((($(nproc) - 1) * (64 << 10)))"
}
