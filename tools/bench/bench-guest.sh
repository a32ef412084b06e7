#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-guest.sh: the in-VM half of "make bench" (tools/bench/bench.sh boots
# the VM and runs this).  Everything it measures goes to stdout as lines
#
#   BENCH-META key=value...          kernel, settings
#   BENCH-CMD <command>              a command run, for the report
#   BENCH-RESULT key=value...        one measurement
#   BENCH-STT key=value...           STT receive counters around one run
#   BENCH-WARN text                  something to look at
#
# which the host parses (the guest's files vanish at power off); every other
# line is progress for the human watching.
#
# Topology, one per tunnel kind, all alike (so that no kind's hooks or
# devices sit on another's path):
#
#   netns A                                          netns B
#   tun0 10.0.0.1/24 (kind's inner MTU)              tun0 10.0.0.2/24
#   veth_a 192.0.2.1/24 ------ veth, MTU 1500 ------ veth_b 192.0.2.2/24
#
# "plain" has no tunnel and measures 192.0.2.1 -> 192.0.2.2.
#
# The jumbo kinds (stt9k, stt64k, vxlan9k; "make bench-jumbo") are stt and
# vxlan with inner MTU 9000 or 65000 over the same 1500-byte underlay: STT
# segments its frames, vxlan's are IP-fragmented.
#
# The Open vSwitch kinds (ovs-stt, ovs-geneve, ovs-vxlan, ovs-gre; not in
# the default list, "make bench-ovs") redo the Nicira table: Debian's
# ovsdb-server and ovs-vswitchd in each netns, bridge br0 (its internal
# port carries 10.0.0.x) with one tunnel port to the other side, flows
# NORMAL, the kernel datapath:
#
#   netns A                                          netns B
#   br0 10.0.0.1/24 - OVS - type=stt|geneve|vxlan|gre, key 42 (stt_sys_7471...)
#   veth_a 192.0.2.1/24 ------ veth, MTU 1500 ------ veth_b 192.0.2.2/24
#
# "routed" (not in the default list) is a control for the cost of one more
# pass through the stack, which STT's inner frame takes at each end: plain
# TCP from A through a router netns R to B, every veth in the profile,
#
#   A veth_a 192.0.2.1/24 -- R r_a 192.0.2.254, r_b 198.51.100.254 -- B veth_b 198.51.100.2/24
#
# Environment (defaults are the full benchmark):
#   BENCH_SECS       seconds per measurement (10)
#   BENCH_ROUNDS     interleaved rounds (3)
#   BENCH_PROFILES   "nic-tso wire wire-nogro none"
#   BENCH_KINDS      "plain stt vxlan geneve gretap" (or "routed", and the
#                    OVS kinds, above)
#   BENCH_WORKLOADS  "tcp1 tcp4 udp64 rr" (or tcp128: 128 parallel streams,
#                    iperf3's limit; "make bench-streams")
#   BENCH_REASM_PEAK 1: sample B's reasm_bytes every 50 ms during each stt
#                    run and report its peak (peak_reasm_bytes=)
#   BENCH_RR_BYTES   request and response size for rr (1)
#   BENCH_SETTLE     seconds of quiet before each measurement (1)
#   STT_KO           stt.ko to load

set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../selftests/lib.sh
source "$REPO/selftests/lib.sh"

SECS=${BENCH_SECS:-10}
# The limits around each client and server stretch by lib.sh's STT_SLOW
# (run.sh -t on a slow kernel): on make debug-kernel's kernel, 128 streams
# of 2 s took iperf3 more than the 47 s it had.
SLACK=$((STT_SLOW * 30))
CONNECT_MS=$((STT_SLOW * 5000))
# iperf3's server (3.12) closes every stream duration + 5 s after the test
# starts, and its client, one thread, checks its own end of test only
# between rounds of one write per stream.  With 128 streams of 128 KiB
# writes a round took longer than those 5 s on make debug-kernel's kernel,
# and the client's next write met a reset.  On a slow kernel (STT_SLOW > 1)
# the 128 streams write 16 KiB at a time.
TCP128_LEN=()
[ "$STT_SLOW" -gt 1 ] && TCP128_LEN=(-l 16K)
ROUNDS=${BENCH_ROUNDS:-3}
read -r -a PROFILES <<<"${BENCH_PROFILES:-nic-tso wire wire-nogro none}"
read -r -a KINDS <<<"${BENCH_KINDS:-plain stt vxlan geneve gretap}"
read -r -a WORKLOADS <<<"${BENCH_WORKLOADS:-tcp1 tcp4 udp64 rr}"
RR_BYTES=${BENCH_RR_BYTES:-1}
REASM_PEAK=${BENCH_REASM_PEAK:-0}
RR=$REPO/tools/bench/stt-rr
IPERF_PORT=5201
RR_PORT=5202

# The tunnel's inner MTU: the outer packet must fit the 1500-byte underlay.
#   vxlan, geneve: outer IPv4 20 + UDP 8 + header 8 + inner Ethernet 14 = 50
#   gretap: outer IPv4 20 + GRE 4 + inner Ethernet 14 = 38
#   stt: 1500, because STT segments every frame to the path (the outer
#   packet is a TCP segment of at most 1500 bytes whatever the inner size),
#   and 1500 keeps the inner MSS equal to plain's 1460.
#   ovs-gre: OVS sends its key, so GRE's header is 8 bytes: 1458
declare -A INNER_MTU=([stt]=1500 [vxlan]=1450 [geneve]=1450 [gretap]=1462
	[ovs-stt]=1500 [ovs-geneve]=1450 [ovs-vxlan]=1450 [ovs-gre]=1458
	[stt9k]=9000 [stt64k]=65000 [vxlan9k]=9000)

# ethtool -K arguments per profile (PROFILE_ARGS).
source "$REPO/tools/bench/profiles.sh"
# What must hold after ethtool -K (ethtool -k names).
declare -A PROFILE_CHECK=(
	[nic-tso]="tcp-segmentation-offload=on generic-receive-offload=off"
	[wire]="tcp-segmentation-offload=off generic-segmentation-offload=on generic-receive-offload=on"
	[wire-nogro]="tcp-segmentation-offload=off generic-segmentation-offload=on generic-receive-offload=off"
	[none]="tcp-segmentation-offload=off generic-segmentation-offload=off generic-receive-offload=off tx-checksumming=off scatter-gather=off"
	[wire-loss]="tcp-segmentation-offload=off generic-segmentation-offload=on generic-receive-offload=on"
)

say() { echo "bench: $*"; }
warn() { echo "BENCH-WARN $*"; }
die()
{
	echo "BENCH-FATAL $*"
	exit 1
}

for p in "${PROFILES[@]}"; do
	[ -n "${PROFILE_ARGS[$p]:-}" ] || die "unknown profile $p"
done
OVS_KINDS=0
for k in "${KINDS[@]}"; do
	case $k in
	plain | routed | stt | vxlan | geneve | gretap | stt9k | stt64k | vxlan9k) ;;
	ovs-stt | ovs-geneve | ovs-vxlan | ovs-gre) OVS_KINDS=1 ;;
	*) die "unknown kind $k" ;;
	esac
done
for w in "${WORKLOADS[@]}"; do
	case $w in tcp1 | tcp4 | tcp128 | udp64 | rr) ;; *) die "unknown workload $w" ;; esac
done
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECS=$SECS: want whole seconds >= 1"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS=$ROUNDS: want >= 1"
[ -x "$RR" ] || die "$RR not built (make tools)"
for c in ip ethtool iperf3 jq ping ss timeout; do
	stt_have "$c" || die "missing $c"
done

###########################################################################
# Setup
###########################################################################

echo "BENCH-META kernel=$(uname -r)"
echo "BENCH-META uname=$(uname -a)"
echo "BENCH-META cpus=$(nproc)"
echo "BENCH-META secs=$SECS"
echo "BENCH-META rounds=$ROUNDS"
echo "BENCH-META rr_bytes=$RR_BYTES"
echo "BENCH-META reasm_peak=$REASM_PEAK"
echo "BENCH-META profiles=${PROFILES[*]}"
echo "BENCH-META kinds=${KINDS[*]}"
echo "BENCH-META workloads=${WORKLOADS[*]}"
echo "BENCH-META iperf3=$(iperf3 --version 2>/dev/null | head -1)"
for p in "${PROFILES[@]}"; do
	echo "BENCH-META profile.$p=ethtool -K DEV ${PROFILE_ARGS[$p]//$'\n'/ }${PROFILE_NETEM[$p]:+; tc qdisc replace dev DEV root netem ${PROFILE_NETEM[$p]}}"
done

# cmd CMD...: run CMD and record it for the report.
cmd()
{
	echo "BENCH-CMD $*"
	"$@"
}

# Module autoload does not work in the VM: load everything up front.
modprobe -a veth vxlan geneve ip_gre udp_tunnel ip6_udp_tunnel 2>/dev/null ||
	warn "modprobe veth vxlan geneve ip_gre failed"
for p in "${PROFILES[@]}"; do
	[ -n "${PROFILE_NETEM[$p]:-}" ] || continue
	{ stt_have tc && modprobe sch_netem 2>/dev/null; } || die "profile $p: no tc or sch_netem"
done
if [ "$OVS_KINDS" = 1 ]; then
	for c in ovs-vsctl ovs-vswitchd ovsdb-server ovsdb-tool; do
		stt_have "$c" || die "missing $c (apt-get install openvswitch-switch)"
	done
	# OVS 3.1 creates its geneve, vxlan and gre ports by rtnetlink (the
	# modules above), not through the vport-* modules; loading those
	# would pin openvswitch.ko for the selftests that unload it.
	modprobe -a openvswitch nfnetlink nf_conntrack_netlink 2>/dev/null ||
		die "cannot load openvswitch"
	echo "BENCH-META ovs=$(ovs-vswitchd --version 2>/dev/null | head -1)"
fi
if [[ " ${KINDS[*]} " == *" ovs-stt "* ]]; then
	VPORT_KO=$(dirname "$(stt_ko_path)")/vport-stt.ko
	grep -qw __ovs_vport_ops_register /proc/kallsyms ||
		die "ovs-stt: openvswitch.ko of $(uname -r) has no vport plug-in interface (docs/ovs.md)"
	[ -f "$VPORT_KO" ] || die "ovs-stt: $VPORT_KO not built"
fi
if [[ " ${KINDS[*]}" == *[\ -]stt* ]]; then
	stt_load_module >/dev/null || die "cannot load $(stt_ko_path)"
	stt_plugin >/dev/null || die "ip does not load the stt plugin"
	echo "BENCH-META stt_ko=$(stt_ko_path)"
	echo "BENCH-META srcversion=$(cat /sys/module/stt/srcversion 2>/dev/null)"
	if [ -n "${VPORT_KO:-}" ]; then
		[ -d /sys/module/vport_stt ] || insmod "$VPORT_KO" ||
			die "cannot load $VPORT_KO"
		echo "BENCH-META vport_ko=$VPORT_KO"
	fi
fi

# DEVS[kind]: "NS:DEV ..." of the veths the offload profile applies to.
declare -A NSA NSB DST DEVS

add_tunnel()
{
	local kind=$1 ns=$2 lip=$3 rip=$4

	case $kind in
	stt | stt9k | stt64k)
		cmd ip -n "$ns" link add tun0 type stt remote "$rip" local "$lip" \
			key "$STT_KEY" dstport "$STT_PORT"
		;;
	vxlan | vxlan9k)
		cmd ip -n "$ns" link add tun0 type vxlan id 42 remote "$rip" \
			local "$lip" dstport 4789
		;;
	geneve)
		cmd ip -n "$ns" link add tun0 type geneve id 42 remote "$rip"
		;;
	gretap)
		cmd ip -n "$ns" link add tun0 type gretap remote "$rip" local "$lip"
		;;
	esac
}

# veth_link NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: a veth pair at MTU 1500,
# addressed and up.
veth_link()
{
	cmd ip link add "$2" netns "$1" mtu 1500 type veth \
		peer name "$5" netns "$4" mtu 1500 || return 1
	cmd ip -n "$1" addr add "$3" dev "$2" || return 1
	cmd ip -n "$4" addr add "$6" dev "$5" || return 1
	cmd ip -n "$1" link set "$2" up || return 1
	cmd ip -n "$4" link set "$5" up
}

# setup_routed: the "routed" control, A - R - B.
setup_routed()
{
	setup_ns A R B || return 1
	echo "BENCH-CMD # routed: netns A=$A R=$R B=$B"
	veth_link "$A" veth_a 192.0.2.1/24 "$R" r_a 192.0.2.254/24 || return 1
	veth_link "$R" r_b 198.51.100.254/24 "$B" veth_b 198.51.100.2/24 || return 1
	cmd ip -n "$A" route add default via 192.0.2.254 || return 1
	cmd ip -n "$B" route add default via 198.51.100.254 || return 1
	cmd ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 || return 1
	NSA[routed]=$A
	NSB[routed]=$B
	DST[routed]=198.51.100.2
	DEVS[routed]="$A:veth_a $R:r_a $R:r_b $B:veth_b"
	stt_wait_for 10 nsx "$A" ping -q -c 1 -W 1 "${DST[routed]}" >/dev/null ||
		{ say "routed: ping ${DST[routed]} fails"; return 1; }
}

# setup_ovs KIND: the Open vSwitch kinds, A and B alike (above); each netns
# has its own daemons, files in $OVS_TMP/NS.
setup_ovs()
{
	local kind=$1 type=${1#ovs-} ns d n=1 rip

	setup_ns A B || return 1
	echo "BENCH-CMD # $kind: netns A=$A B=$B"
	veth_link "$A" veth_a 192.0.2.1/24 "$B" veth_b 192.0.2.2/24 || return 1
	for ns in "$A" "$B"; do
		d=$OVS_TMP/$ns
		rip=192.0.2.$((3 - n))
		stt_ovs_db "$ns" "$d" || return 1
		echo "BENCH-CMD # in $ns: ovsdb-server and ovs-vswitchd, files in $d"
		cmd ovs-vsctl --db="unix:$d/db.sock" --timeout=60 --no-wait init || return 1
		stt_ovs_switchd "$ns" "$d" || return 1
		cmd ovs-vsctl --db="unix:$d/db.sock" --timeout=60 add-br br0 \
			-- set interface br0 mtu_request="${INNER_MTU[$kind]}" \
			-- add-port br0 tun0 -- set interface tun0 type="$type" \
			options:remote_ip="$rip" options:key=42 || return 1
		stt_wait_for 30 ovs_port_up "$d" tun0 ||
			{ say "$kind: tun0 in $ns: $(ovs-vsctl --db="unix:$d/db.sock" get interface tun0 error)"; return 1; }
		cmd ip -n "$ns" addr add "10.0.0.$n/24" dev br0 || return 1
		cmd ip -n "$ns" link set br0 up || return 1
		n=$((n + 1))
	done
	NSA[$kind]=$A
	NSB[$kind]=$B
	DST[$kind]=10.0.0.2
	DEVS[$kind]="$A:veth_a $B:veth_b"
	stt_wait_for 20 nsx "$A" ping -q -c 1 -W 1 "${DST[$kind]}" >/dev/null ||
		{ say "$kind: ping ${DST[$kind]} fails"; return 1; }
}

# ovs_port_up DIR IFACE: the Interface has an OpenFlow port and no error.
ovs_port_up()
{
	[ "$(ovs-vsctl --db="unix:$1/db.sock" get interface "$2" error 2>/dev/null)" = '[]' ] &&
		[ "$(ovs-vsctl --db="unix:$1/db.sock" get interface "$2" ofport 2>/dev/null)" -gt 0 ] 2>/dev/null
}

setup_kind()
{
	local kind=$1 a b

	[ "$kind" = routed ] && { setup_routed; return; }
	[[ $kind == ovs-* ]] && { setup_ovs "$kind"; return; }
	setup_ns A B || return 1
	echo "BENCH-CMD # $kind: netns A=$A B=$B"
	veth_link "$A" veth_a 192.0.2.1/24 "$B" veth_b 192.0.2.2/24 || return 1
	NSA[$kind]=$A
	NSB[$kind]=$B
	DST[$kind]=192.0.2.2
	DEVS[$kind]="$A:veth_a $B:veth_b"
	if [ "$kind" != plain ]; then
		add_tunnel "$kind" "$A" 192.0.2.1 192.0.2.2 || return 1
		add_tunnel "$kind" "$B" 192.0.2.2 192.0.2.1 || return 1
		for a in "$A:10.0.0.1" "$B:10.0.0.2"; do
			b=${a%%:*}
			cmd ip -n "$b" link set tun0 mtu "${INNER_MTU[$kind]}" || return 1
			cmd ip -n "$b" addr add "${a#*:}/24" dev tun0 || return 1
			cmd ip -n "$b" link set tun0 up || return 1
		done
		DST[$kind]=10.0.0.2
	fi
	stt_wait_for 10 nsx "$A" ping -q -c 1 -W 1 "${DST[$kind]}" >/dev/null ||
		{ say "$kind: ping ${DST[$kind]} fails"; return 1; }
}

[ "$OVS_KINDS" = 1 ] && { stt_tmpdir OVS_TMP || die "mktemp"; }
for k in "${KINDS[@]}"; do
	setup_kind "$k" || die "cannot set up $k"
	case $k in plain | routed) dev=veth_a ;; ovs-*) dev=br0 ;; *) dev=tun0 ;; esac
	say "set up $k: $(ip -n "${NSA[$k]}" -br link show "$dev" | tr -s ' ')"
	# The device as configured, kernel defaults included (checksums...).
	echo "BENCH-META link.$k=$(ip -n "${NSA[$k]}" -d link show "$dev" |
		sed -n '1s/.* \(mtu [0-9]*\) .*/\1/p; 3p' | tr -s ' \n' ' ')"
done
for k in stt stt9k stt64k; do
	[ -n "${NSB[$k]:-}" ] || continue
	echo "BENCH-META reasm_high_thresh=$(ip netns exec "${NSB[$k]}" cat /proc/sys/net/stt/reasm_high_thresh)"
	break
done

###########################################################################
# Offload profiles
###########################################################################

# apply_profile P: ethtool -K on the veths of every kind, then check.
apply_profile()
{
	local p=$1 k ns dev kv state args

	args=${PROFILE_ARGS[$p]//$'\n'/ }
	for k in "${KINDS[@]}"; do
		for ns in ${DEVS[$k]}; do
			dev=${ns#*:}
			ns=${ns%%:*}
			# Fixed features make ethtool complain; the check below
			# is what counts.
			# shellcheck disable=SC2086 # a word list
			ip netns exec "$ns" ethtool -K "$dev" $args >/dev/null 2>&1
			if [ -n "${PROFILE_NETEM[$p]:-}" ]; then
				# shellcheck disable=SC2086
				ip netns exec "$ns" tc qdisc replace dev "$dev" root \
					netem ${PROFILE_NETEM[$p]} ||
					warn "$p: $k $dev: tc qdisc netem ${PROFILE_NETEM[$p]} failed"
			else
				ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null
			fi
			state=$(ip netns exec "$ns" ethtool -k "$dev" 2>/dev/null |
				awk -F': ' 'NF == 2 { split($2, v, " "); print $1 "=" v[1] }')
			for kv in ${PROFILE_CHECK[$p]} tx-udp_tnl-segmentation=off \
				tx-gre-segmentation=off; do
				grep -qx -- "$kv" <<<"$state" ||
					warn "$p: $k $dev: want $kv, have $(grep -- "^${kv%=*}=" <<<"$state")"
			done
		done
	done
}

###########################################################################
# Measurements
###########################################################################

# Busy and total jiffies of the whole guest from /proc/stat's cpu line.
cpu_busy()
{
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

listening()
{
	ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

# Set by each run_*: VALUE UNIT BYTES EXTRA.
VALUE=""
UNIT=""
BYTES=""
EXTRA=""
CPU0=0
CPU1=0
TRANSACTIONS=""
SETTLE=${BENCH_SETTLE:-1}

cpu_start() { CPU0=$(cpu_busy); }

# run_iperf KIND ARGS...: one iperf3 client run against a fresh server.
run_iperf()
{
	local kind=$1 a=${NSA[$1]} b=${NSB[$1]} dst=${DST[$1]} spid out

	shift
	ip netns exec "$b" timeout $((SECS + 2 * SLACK)) iperf3 -s -1 -B "$dst" \
		-p "$IPERF_PORT" >/dev/null 2>&1 &
	spid=$!
	stt_track_pid "$spid"
	stt_wait_for 10 listening "$b" "$IPERF_PORT" || {
		warn "iperf3 server did not start in $kind"
		return 1
	}
	cpu_start
	out=$(ip netns exec "$a" timeout $((SECS + 3 * SLACK / 2)) iperf3 -c "$dst" \
		-p "$IPERF_PORT" -t "$SECS" --connect-timeout "$CONNECT_MS" -J "$@" 2>&1)
	CPU1=$(cpu_busy)
	wait "$spid" 2>/dev/null
	IPERF_JSON=$out
	if ! jq -e '.end.sum_received.bytes > 0' <<<"$out" >/dev/null 2>&1; then
		warn "$kind: iperf3 $* failed: $(jq -r '.error // empty' <<<"$out" 2>/dev/null | head -1)"
		return 1
	fi
}

run_tcp()
{
	local kind=$1

	shift
	run_iperf "$kind" "$@" || return 1
	read -r BYTES VALUE <<<"$(jq -r '.end.sum_received |
		"\(.bytes) \(.bits_per_second / 1e9)"' <<<"$IPERF_JSON")"
	UNIT=Gbit/s
	EXTRA="retransmits=$(jq -r '.end.sum_sent.retransmits // 0' <<<"$IPERF_JSON")"
}

run_udp64()
{
	local kind=$1 sent

	run_iperf "$kind" -u -l 64 -b 0 || return 1
	# (no <(...) in the VM: it has no /dev/fd)
	read -r BYTES VALUE sent <<<"$(jq -r '
		"\(.end.sum_received.bytes) \(.end.sum_received.bytes / 64 / .end.sum_received.seconds / 1000) \(.end.sum_sent.bytes / 64 / .end.sum_sent.seconds / 1000)"' \
		<<<"$IPERF_JSON")"
	UNIT=kpps
	EXTRA="sent_kpps=$sent"
}

run_rr()
{
	local kind=$1 a=${NSA[$1]} b=${NSB[$1]} dst=${DST[$1]} spid out

	ip netns exec "$b" timeout $((SECS + 2 * SLACK)) "$RR" -s -B "$dst" \
		-p "$RR_PORT" -T 60 >/dev/null 2>&1 &
	spid=$!
	stt_track_pid "$spid"
	stt_wait_for 10 listening "$b" "$RR_PORT" || {
		warn "stt-rr server did not start in $kind"
		return 1
	}
	cpu_start
	out=$(ip netns exec "$a" timeout $((SECS + SLACK)) "$RR" -c "$dst" \
		-p "$RR_PORT" -t "$SECS" -l "$RR_BYTES" 2>&1)
	CPU1=$(cpu_busy)
	wait "$spid" 2>/dev/null
	VALUE=$(sed -n 's/.* tps=\([0-9.]*\).*/\1/p' <<<"$out")
	[ -n "$VALUE" ] || { warn "$kind: stt-rr failed: $out"; return 1; }
	VALUE=$(awk -v v="$VALUE" 'BEGIN { printf "%.4f", v / 1000 }')
	UNIT=ktps
	# CPU per transaction, not per GB (measure() divides by TRANSACTIONS).
	BYTES=""
	TRANSACTIONS=$(sed -n 's/^transactions=\([0-9]*\).*/\1/p' <<<"$out")
	EXTRA="$(grep -o 'mean_us=[0-9.]* p50_us=[0-9]* p99_us=[0-9]*' <<<"$out")"
}

# The exact commands, once, for the report.
echo "BENCH-CMD # per measurement (client in A, server in B; DST = 192.0.2.2 for plain, 198.51.100.2 for routed, 10.0.0.2 otherwise):"
echo "BENCH-CMD iperf3 -s -1 -B DST -p $IPERF_PORT"
echo "BENCH-CMD iperf3 -c DST -p $IPERF_PORT -t $SECS --connect-timeout $CONNECT_MS -J            # tcp1"
echo "BENCH-CMD iperf3 -c DST -p $IPERF_PORT -t $SECS --connect-timeout $CONNECT_MS -J -P 4       # tcp4"
echo "BENCH-CMD iperf3 -c DST -p $IPERF_PORT -t $SECS --connect-timeout $CONNECT_MS -J -P 128${TCP128_LEN[*]:+ ${TCP128_LEN[*]}}     # tcp128"
echo "BENCH-CMD iperf3 -c DST -p $IPERF_PORT -t $SECS --connect-timeout $CONNECT_MS -J -u -l 64 -b 0  # udp64"
echo "BENCH-CMD tools/bench/stt-rr -s -B DST -p $RR_PORT; tools/bench/stt-rr -c DST -p $RR_PORT -t $SECS -l $RR_BYTES  # rr"
echo "BENCH-CMD # CPU: busy jiffies (user+nice+system+irq+softirq+steal) of /proc/stat's cpu line, before and after the client"

# STT receive counters on B's stt device (how frames arrived): tun0 for
# stt, OVS's stt_sys_7471 for ovs-stt; B's reassembly counters
# (/proc/net/stt, per netns); the underlay's segments; and the backlog
# drops of the whole VM (/proc/net/softnet_stat's second column), which
# is where veth drops a segment that then times a frame out.
stt_rx_snap()
{
	local dev=tun0

	[ "$1" = ovs-stt ] && dev=stt_sys_7471
	ip netns exec "${NSB[$1]}" ethtool -S "$dev" 2>/dev/null |
		awk -F': *' '$1 ~ /rx_(frames|fastpath_frames|reasm_frames|skbs)$/ {
			gsub(/ /, "", $1); printf "%s=%s ", $1, $2 }'
	ip netns exec "${NSB[$1]}" cat /proc/net/stt 2>/dev/null |
		awk '$1 ~ /^reasm_(timeouts|evictions|mem_drops|dropped_segs)$/ {
			printf "%s=%s ", $1, $2 }'
	softnet_drops
	ip netns exec "${NSA[$1]}" cat /sys/class/net/veth_a/statistics/tx_packets 2>/dev/null |
		awk '{ printf "wire_segments=%s", $1 }'
}

softnet_drops()
{
	local _ drops d=0

	while read -r _ drops _; do
		d=$((d + 16#$drops))
	done </proc/net/softnet_stat
	printf 'backlog_drops=%d ' "$d"
}

# BENCH_REASM_PEAK=1: selftests/stt_sample.py samples reasm_bytes in B
# every 50 ms from before the client starts until it is done.
PEAK_DIR=""
stt_tmpdir PEAK_DIR || die "mktemp"
peak_start()
{
	rm -f "$PEAK_DIR/stop" "$PEAK_DIR/samples" "$PEAK_DIR/out"
	ip netns exec "${NSB[$1]}" "$STT_PY" "$REPO/selftests/stt_sample.py" \
		"$PEAK_DIR/samples" 50 "$PEAK_DIR/stop" >"$PEAK_DIR/out" 2>&1 &
	PEAK_PID=$!
	stt_track_pid "$PEAK_PID"
	# Python's start-up (seconds under TCG) stays out of the measurement.
	stt_wait_for 20 test -s "$PEAK_DIR/samples" ||
		warn "$1: the reasm_bytes sampler did not start"
}

peak_stop()
{
	touch "$PEAK_DIR/stop"
	# Called in $(...), a subshell that cannot wait for the sampler: wait
	# for its summary line instead.
	stt_wait_for 10 stt_file_has "$PEAK_DIR/out" "samples=" ||
		warn "the reasm_bytes sampler printed no summary"
	printf 'peak_reasm_bytes=%s' "$(stt_kv max "$(<"$PEAK_DIR/out")")"
}

stt_rx_delta()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); v[kv[1]] = kv[2] }
		n = split(b, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); printf "%s=%d ", kv[1], kv[2] - v[kv[1]] }
	}'
}

TOTAL=$((ROUNDS * ${#PROFILES[@]} * ${#WORKLOADS[@]} * ${#KINDS[@]}))
N=0
T_START=$SECONDS
say "$TOTAL measurements of ${SECS}s: ${ROUNDS} rounds x ${#PROFILES[@]} profiles x ${#WORKLOADS[@]} workloads x ${#KINDS[@]} kinds"

measure()
{
	local r=$1 p=$2 w=$3 k=$4 ok=0 busy cpu_s="" per_gb="" eta before="" after peak

	VALUE="" UNIT="" BYTES="" EXTRA="" TRANSACTIONS=""
	# Let the previous run's queues drain (a 64-byte flood leaves a
	# backlog that would land in the next run's latency).
	sleep "$SETTLE"
	case $k in stt | stt9k | stt64k | ovs-stt) before=$(stt_rx_snap "$k") ;; esac
	[ -n "$before" ] && [ "$REASM_PEAK" = 1 ] && peak_start "$k"
	case $w in
	tcp1) run_tcp "$k" || ok=1 ;;
	tcp4) run_tcp "$k" -P 4 || ok=1 ;;
	tcp128) run_tcp "$k" -P 128 "${TCP128_LEN[@]}" || ok=1 ;;
	udp64) run_udp64 "$k" || ok=1 ;;
	rr) run_rr "$k" || ok=1 ;;
	esac
	N=$((N + 1))
	eta=$(((SECONDS - T_START) * (TOTAL - N) / N))
	peak=""
	[ -n "$before" ] && [ "$REASM_PEAK" = 1 ] && peak=$(peak_stop)
	if [ "$ok" != 0 ]; then
		echo "BENCH-RESULT round=$r profile=$p kind=$k workload=$w value= unit= bytes= cpu_s= cpu_s_per_gb= failed=1"
		say "[$N/$TOTAL] round $r $p $w $k: FAILED (eta $((eta / 60)) min)"
		return
	fi
	busy=$((CPU1 - CPU0))
	read -r cpu_s per_gb <<<"$(awk -v j="$busy" -v hz="$(getconf CLK_TCK)" -v b="$BYTES" \
		'BEGIN { s = j / hz; printf "%.2f %s\n", s, (b > 0 ? sprintf("%.3f", s / (b / 1e9)) : "") }')"
	if [ -n "$TRANSACTIONS" ] && [ "$TRANSACTIONS" -gt 0 ]; then
		EXTRA+=" cpu_us_per_tx=$(awk -v s="$cpu_s" -v n="$TRANSACTIONS" 'BEGIN { printf "%.1f", s * 1e6 / n }')"
	fi
	echo "BENCH-RESULT round=$r profile=$p kind=$k workload=$w value=$VALUE unit=$UNIT bytes=$BYTES cpu_s=$cpu_s cpu_s_per_gb=$per_gb $EXTRA"
	if [ -n "$before" ]; then
		after=$(stt_rx_snap "$k")
		echo "BENCH-STT round=$r profile=$p workload=$w kind=$k $(stt_rx_delta "$before" "$after")${peak}"
	fi
	say "[$N/$TOTAL] round $r $p $w $k: $(printf '%.3f' "$VALUE") $UNIT, cpu ${cpu_s}s${per_gb:+ = $per_gb s/GB}${TRANSACTIONS:+ = $(sed -n 's/.*cpu_us_per_tx=\([0-9.]*\).*/\1/p' <<<"$EXTRA") us/transaction} (eta $((eta / 60)) min)"
}

# Interleaved: every round visits every profile, every workload, every
# kind; the order of the kinds rotates from round to round so that no kind
# always runs first (or right after another one).
for ((r = 1; r <= ROUNDS; r++)); do
	for p in "${PROFILES[@]}"; do
		apply_profile "$p"
		for w in "${WORKLOADS[@]}"; do
			nk=${#KINDS[@]}
			for ((i = 0; i < nk; i++)); do
				measure "$r" "$p" "$w" "${KINDS[$(((i + r - 1) % nk))]}"
			done
		done
	done
done

bad=$(dmesg | grep -E "$STT_DMESG_BAD" | head -5)
[ -z "$bad" ] || warn "dmesg: $bad"
echo "BENCH-DONE measurements=$N secs=$((SECONDS - T_START))"
