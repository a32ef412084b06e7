# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the stt selftests and tools/demo.sh: KTAP output,
# network namespaces with cleanup on every exit path, loading stt.ko and
# the iproute2 plugin, the two-host tunnel topology, counters, iperf3 and
# tshark.  Source this file; it is not a test.
#
# Environment:
#   STT_KO        path to stt.ko (default build/$(uname -r)/stt.ko)
#   IP_LIB_DIR    where ip finds link_stt.so (default tools/iproute2)
#   STT_KIND      "stt" (default); "geneve" or "vxlan" exercise the
#                 plumbing against a kernel tunnel while stt.ko is missing
#   STT_VERBOSE   1: echo every command run through stt_run

STT_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_REPO=$(cd "$STT_SELFTESTS/.." && pwd)
STT_KIND=${STT_KIND:-stt}
STT_VERBOSE=${STT_VERBOSE:-0}
# A multiplier for the time limits of the tests' own data transfers
# (stt_xfer): run.sh sets it to its per-test timeout over selftests/
# settings' when that is larger (make check KVERS=debug: 5; a KASAN and
# lockdep kernel moves data 30 times slower under TCG).
STT_SLOW=${STT_SLOW:-1}
[[ $STT_SLOW =~ ^[1-9][0-9]*$ ]] || STT_SLOW=1

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# Topology constants (draft-davie-stt-03 uses TCP dst port 7471).
STT_KEY=0x1122334455667788
STT_PORT=7471
UL_A=veth_a
UL_B=veth_b
UL_IP_A=192.0.2.1
UL_IP_B=192.0.2.2
IN_IP_A=10.0.0.1
IN_IP_B=10.0.0.2
TUN=stt0

# Lines in dmesg that fail a test.
STT_DMESG_BAD='WARNING|BUG[: ]|leak|refcount|Oops|general protection|to become free|KASAN|UBSAN|kernel panic|soft lockup|hung task|blocked for more than|detected stall|list_(add|del) corruption|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU'

###########################################################################
# KTAP (kselftest) output
###########################################################################

KTAP_PLAN=0
KTAP_CNT=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

ktap_header()
{
	echo "TAP version 13"
}

ktap_plan()
{
	KTAP_PLAN=$1
	echo "1..$1"
}

# Diagnostics: every line of "$*" (or of stdin with no argument) as "# ...".
ktap_info()
{
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*" | sed 's/^/# /'
	else
		sed 's/^/# /'
	fi
}

ktap_pass()
{
	KTAP_CNT=$((KTAP_CNT + 1))
	KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_CNT $1"
}

ktap_fail()
{
	KTAP_CNT=$((KTAP_CNT + 1))
	KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_CNT $1"
}

# ktap_skip "desc" ["reason"]
ktap_skip()
{
	KTAP_CNT=$((KTAP_CNT + 1))
	KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_CNT $1 # SKIP${2:+ $2}"
}

# ktap_result "desc" CMD ARGS...: one test point from a command's status.
ktap_result()
{
	local desc=$1

	shift
	if "$@"; then
		ktap_pass "$desc"
	else
		ktap_fail "$desc"
	fi
}

# ktap_check "desc" COND: COND is 0/true or anything else.
ktap_check()
{
	if [ "$2" = 0 ] || [ "$2" = true ]; then
		ktap_pass "$1"
	else
		ktap_fail "$1"
	fi
}

# A prerequisite is missing: skip everything (kselftest exit code 4).
# Only for missing prerequisites, never to hide a failure.
ktap_skip_all()
{
	if [ "$KTAP_PLAN" -eq 0 ]; then
		echo "1..0 # SKIP $*"
	else
		ktap_info "SKIP: $*"
		while [ "$KTAP_CNT" -lt "$KTAP_PLAN" ]; do
			ktap_skip "not run" "$*"
		done
	fi
	exit "$KSFT_SKIP"
}

# Something the remaining test points depend on broke: fail them all.
ktap_bail()
{
	ktap_info "FATAL: $*"
	if [ "$KTAP_PLAN" -eq 0 ]; then
		echo "Bail out! $*"
		exit "$KSFT_FAIL"
	fi
	while [ "$KTAP_CNT" -lt "$KTAP_PLAN" ]; do
		ktap_fail "not run: $*"
	done
	ktap_finished
}

ktap_finished()
{
	local rc=$KSFT_PASS

	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	if [ "$KTAP_FAIL" -gt 0 ] || [ "$KTAP_CNT" -ne "$KTAP_PLAN" ]; then
		[ "$KTAP_CNT" -ne "$KTAP_PLAN" ] &&
			echo "# planned $KTAP_PLAN test points, ran $KTAP_CNT"
		rc=$KSFT_FAIL
	elif [ "$KTAP_CNT" -gt 0 ] && [ "$KTAP_SKIP" -eq "$KTAP_CNT" ]; then
		rc=$KSFT_SKIP
	fi
	exit "$rc"
}

###########################################################################
# Cleanup: everything created is recorded and removed on every exit path
###########################################################################

STT_NS_LIST=()
STT_PIDS=()
STT_TMP_LIST=()
STT_INIT_DEVS=()
STT_CLEANUP_HOOKS=()

stt_cleanup()
{
	local pid ns dev hook

	set +e
	for hook in "${STT_CLEANUP_HOOKS[@]}"; do
		eval "$hook"
	done
	for pid in "${STT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${STT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${STT_NS_LIST[@]}"; do
		# Processes still inside (iperf3, tshark started elsewhere).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	for dev in "${STT_INIT_DEVS[@]}"; do
		ip link del "$dev" 2>/dev/null
	done
	for dev in "${STT_TMP_LIST[@]}"; do
		rm -rf -- "$dev"
	done
	STT_PIDS=()
	STT_NS_LIST=()
	STT_INIT_DEVS=()
	STT_TMP_LIST=()
	STT_CLEANUP_HOOKS=()
}

trap stt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

stt_track_pid() { STT_PIDS+=("$1"); }
stt_track_dev() { STT_INIT_DEVS+=("$1"); }

# stt_tmpdir VAR: a private temporary directory, removed at exit.
stt_tmpdir()
{
	local d

	d=$(mktemp -d "${TMPDIR:-/tmp}/stt-selftest.XXXXXX") || return 1
	STT_TMP_LIST+=("$d")
	printf -v "$1" '%s' "$d"
}

###########################################################################
# Small utilities
###########################################################################

# Commands echoed with STT_VERBOSE=1 go to fd 7, a copy of the original
# stdout, so that they show even inside $(...).
exec 7>&1
STT_VERBOSE_PREFIX=${STT_VERBOSE_PREFIX:-"# + "}

# stt_run CMD...: run CMD, echoing it first with STT_VERBOSE=1 (shell
# functions are not echoed: the commands they run are).
stt_run()
{
	if [ "$STT_VERBOSE" = 1 ] && ! declare -F "$1" >/dev/null; then
		echo "$STT_VERBOSE_PREFIX$*" >&7
	fi
	"$@"
}

# nsx NS CMD...: run CMD in network namespace NS.
nsx()
{
	local ns=$1

	shift
	stt_run ip netns exec "$ns" "$@"
}

stt_have() { command -v "$1" >/dev/null 2>&1; }

# stt_require_vport: what a test of Open vSwitch's type=stt needs, or skip
# the whole test saying which is missing: openvswitch.ko, its vport
# plug-in interface (Linux 7.x's exports no __ovs_vport_ops_register, so
# vport-stt.ko cannot exist there; see docs/ovs.md), and vport-stt.ko built
# for this kernel.  Sets VPORT_KO.
stt_require_vport()
{
	modprobe -q openvswitch 2>/dev/null ||
		ktap_skip_all "openvswitch.ko is not in this kernel"
	grep -qw __ovs_vport_ops_register /proc/kallsyms ||
		ktap_skip_all "openvswitch.ko of $(uname -r) has no vport plug-in interface: no module can add type=stt there (docs/ovs.md)"
	VPORT_KO=$(dirname "$(stt_ko_path)")/vport-stt.ko
	[ -f "$VPORT_KO" ] ||
		ktap_skip_all "vport-stt.ko not built for $(uname -r) (see tools/ovs-layout.sh)"
}

# stt_load_vport: load vport-stt.ko, as modprobe vport-type-106 would (the
# kernel's request_module does not work in the VM), one KTAP point; bail
# out if it does not load.
stt_load_vport()
{
	if [ -d /sys/module/vport_stt ] || insmod "$VPORT_KO"; then
		ktap_pass "vport-stt.ko loads (alias $(modinfo -F alias "$VPORT_KO"))"
	else
		dmesg | tail -3 | ktap_info
		ktap_bail "vport-stt.ko does not load"
	fi
}

# stt_ovs_env DIR CMD...: CMD with every Open vSwitch and OVN directory
# (run, log, database, sysconf) set to DIR, so that several daemons of each
# kind run side by side, one set per netns.
stt_ovs_env()
{
	local d=$1

	shift
	stt_run env OVS_RUNDIR="$d" OVS_LOGDIR="$d" OVS_DBDIR="$d" OVS_SYSCONFDIR="$d" \
		OVN_RUNDIR="$d" OVN_LOGDIR="$d" OVN_DBDIR="$d" "$@"
}

# stt_ovs_db NS DIR: a new Open_vSwitch database in DIR and its ovsdb-server
# in NS, listening on DIR/db.sock (pid and log files in DIR too).
stt_ovs_db()
{
	mkdir -p "$2" &&
		ovsdb-tool create "$2/conf.db" /usr/share/openvswitch/vswitch.ovsschema &&
		stt_ovs_env "$2" ip netns exec "$1" ovsdb-server "$2/conf.db" \
			--remote="punix:$2/db.sock" --pidfile="$2/ovsdb-server.pid" \
			--detach --no-chdir --log-file="$2/ovsdb-server.log" \
			-vconsole:off 2>/dev/null
}

# stt_ovs_switchd NS DIR [LOG]: ovs-vswitchd in NS on DIR's database, its
# log in DIR/LOG.log (default ovs-vswitchd.log).
stt_ovs_switchd()
{
	stt_ovs_env "$2" ip netns exec "$1" ovs-vswitchd "unix:$2/db.sock" \
		--pidfile="$2/ovs-vswitchd.pid" --detach --no-chdir \
		--log-file="$2/${3:-ovs-vswitchd}.log" -vconsole:off 2>/dev/null
}

# stt_bench_guest PROFILE KIND...: one short round of make bench's guest
# script (tools/bench/bench-guest.sh: each KIND in its own netns pair, 2 s
# of one TCP stream in PROFILE, or of STT_BENCH_WORKLOADS; STT_BENCH_PEAK=1
# samples B's reasm_bytes), its output in STT_BENCH_OUT and the lines that
# matter shown.  Returns 1 if the script is not next to the selftests.
stt_bench_guest()
{
	local guest profile=$1

	shift
	guest=$(dirname "${BASH_SOURCE[0]}")/../tools/bench/bench-guest.sh
	STT_BENCH_OUT=""
	[ -x "$guest" ] || { ktap_info "$guest is not next to the selftests"; return 1; }
	STT_BENCH_OUT=$(STT_KO=$(stt_ko_path) BENCH_SECS=2 BENCH_ROUNDS=1 \
		BENCH_PROFILES="$profile" BENCH_WORKLOADS="${STT_BENCH_WORKLOADS:-tcp1}" \
		BENCH_KINDS="$*" BENCH_REASM_PEAK="${STT_BENCH_PEAK:-0}" \
		BENCH_SETTLE=0 timeout $((900 * STT_SLOW)) "$guest" 2>&1)
	grep -E '^(BENCH-(FATAL|WARN|RESULT|STT|DONE)|bench: set up)' <<<"$STT_BENCH_OUT" |
		ktap_info
}

# stt_bench_moved KIND: KIND's one measurement in STT_BENCH_OUT moved data,
# and for an STT kind its device received frames.
stt_bench_moved()
{
	grep "^BENCH-RESULT .* kind=$1 " <<<"$STT_BENCH_OUT" |
		awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
			END { exit !(NR == 1 && v["value"] > 0 && v["failed"] == "") }' || return 1
	case $1 in
	*stt*) grep -q "^BENCH-STT .*kind=$1 .*rx_frames=[1-9]" <<<"$STT_BENCH_OUT" ;;
	esac
}

# stt_module_present NAME: module NAME is loaded or built into the kernel
# (a built-in one shows in /sys/module only if it has parameters: make
# debug-kernel builds everything in).
stt_module_present()
{
	[ -d "/sys/module/$1" ] ||
		grep -qE "/${1//_/[-_]}\.ko(\.[a-z]+)?$" \
			"/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null
}

# Skip the whole test (exit 4) unless we are root and every command exists.
stt_require()
{
	local c missing=()

	[ "$(id -u)" -eq 0 ] || ktap_skip_all "must be run as root"
	for c in ip "$@"; do
		stt_have "$c" || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] || ktap_skip_all "missing tools: ${missing[*]}"
	# Load what the tests use up front: the kernel's own module autoload
	# (request_module) may not work, e.g. in a minimal VM.
	modprobe -qa veth inet_diag tcp_diag 2>/dev/null
	true
}

# stt_sleep SECS: sleep without starting a process.  Under QEMU's TCG
# every exec costs a tenth of a second or more, and the polling loops
# below would spend most of their time starting /bin/sleep.  read -t on
# a FIFO that nobody writes to (we hold it open read-write) times out
# instead.
STT_SLEEP_FD=""
stt_sleep()
{
	local f

	if [ -z "$STT_SLEEP_FD" ]; then
		STT_SLEEP_FD=none
		f=$(mktemp -u "${TMPDIR:-/tmp}/stt-sleep.XXXXXX")
		if mkfifo -m 600 "$f" 2>/dev/null; then
			exec {STT_SLEEP_FD}<>"$f" || STT_SLEEP_FD=none
			rm -f "$f"
		fi
	fi
	if [ "$STT_SLEEP_FD" = none ]; then
		sleep "$1"
	else
		read -r -t "$1" -u "$STT_SLEEP_FD" _
	fi
	return 0
}

# Poll CMD every 0.2 s for up to SECS seconds.
stt_wait_for()
{
	local secs=$1 i

	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" && return 0
		stt_sleep 0.2
	done
	"$@"
}

# stt_file_has FILE TEXT: FILE contains TEXT (a bash builtin test, for
# polling without a process).
stt_file_has()
{
	local line

	[ -r "$1" ] || return 1
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line == *"$2"* ]] && return 0
	done <"$1"
	return 1
}

stt_python()
{
	if [ -x /usr/bin/python3 ]; then
		/usr/bin/python3 "$@"
	else
		python3 "$@"
	fi
}

###########################################################################
# dmesg: compare against a marker written to /dev/kmsg when we started
###########################################################################

STT_DMESG_MARK=""

stt_dmesg_mark()
{
	STT_DMESG_MARK="stt-selftest-mark $(basename "$0") $$ $RANDOM$RANDOM"
	# <6>: KERN_INFO, below the console loglevel.
	echo "<6>$STT_DMESG_MARK" >/dev/kmsg 2>/dev/null || STT_DMESG_MARK=""
}

# Kernel log since the marker (all of it if the marker was lost).
stt_dmesg_since()
{
	dmesg 2>/dev/null | awk -v m="$STT_DMESG_MARK" '
		m != "" && index($0, m) { n = 0; delete buf; next }
		{ buf[n++] = $0 }
		END { for (i = 0; i < n; i++) print buf[i] }'
}

# One test point: no WARNING/BUG/leak/... since the test started.
check_dmesg()
{
	local bad

	bad=$(stt_dmesg_since | grep -E "$STT_DMESG_BAD")
	if [ -n "$bad" ]; then
		ktap_info "dmesg since the test started has:"
		printf '%s\n' "$bad" | head -40 | ktap_info
		ktap_fail "dmesg clean (no WARNING/BUG/leak/refcount/Oops)"
		return 1
	fi
	ktap_pass "dmesg clean (no WARNING/BUG/leak/refcount/Oops)"
}

[ "$(id -u)" -eq 0 ] && stt_dmesg_mark

###########################################################################
# Module and iproute2 plugin
###########################################################################

stt_ko_path()
{
	if [ -n "${STT_KO:-}" ]; then
		echo "$STT_KO"
	else
		echo "$STT_REPO/build/$(uname -r)/stt.ko"
	fi
}

stt_module_loaded() { [ -d /sys/module/stt ]; }

# Load stt.ko unless it is loaded.  Missing root or module file: skip
# (exit 4).  A module that exists but does not load: return 1.
stt_load_module()
{
	local ko deps

	[ "$(id -u)" -eq 0 ] || ktap_skip_all "must be run as root"
	if [ "$STT_KIND" != stt ]; then
		modprobe "$STT_KIND" 2>/dev/null
		return 0
	fi
	stt_module_loaded && return 0
	ko=$(stt_ko_path)
	[ -f "$ko" ] || ktap_skip_all "module not built: $ko"
	deps=$(modinfo -F depends "$ko" 2>/dev/null | tr , ' ')
	if [ -n "${deps// /}" ]; then
		# shellcheck disable=SC2086 # word splitting is the point
		modprobe -a $deps || { ktap_info "modprobe -a $deps failed"; return 1; }
	fi
	if ! insmod "$ko"; then
		ktap_info "insmod $ko failed"
		dmesg | tail -5 | ktap_info
		return 1
	fi
	stt_module_loaded
}

# Point ip at link_stt.so and prove it is really loaded: ip silently
# ignores a plugin that fails to load and then prints its generic usage.
# Missing plugin file: skip.  Plugin that does not load: return 1.
stt_plugin()
{
	local out

	[ "$STT_KIND" = stt ] || return 0
	export IP_LIB_DIR="${IP_LIB_DIR:-$STT_REPO/tools/iproute2}"
	[ -f "$IP_LIB_DIR/link_stt.so" ] ||
		ktap_skip_all "iproute2 plugin not built: $IP_LIB_DIR/link_stt.so"
	out=$(ip link help stt 2>&1)
	if ! grep -qw remote <<<"$out" || ! grep -qw key <<<"$out"; then
		ktap_info "ip link help stt did not print the plugin's usage;" \
			"the plugin did not load. LD_DEBUG says:"
		LD_DEBUG=files ip link help stt 2>&1 | grep -iE 'link_stt|error' |
			head -10 | ktap_info
		return 1
	fi
}

###########################################################################
# Namespaces and the two-host topology
#
#   netns A                                   netns B
#   stt0 10.0.0.1/24                          stt0 10.0.0.2/24
#     |  (STT, key 0x1122334455667788, TCP dst port 7471)  |
#   veth_a 192.0.2.1/24 ---------- veth ---------- veth_b 192.0.2.2/24
###########################################################################

# setup_ns VAR...: for each VAR create a uniquely named netns with lo up
# and IPv6 off (keeps captures and counters free of ND/MLD noise), and
# store its name in VAR.
setup_ns()
{
	local var name names=()

	for var in "$@"; do
		name="stt-${var,,}-$(mktemp -u XXXXXX)"
		names+=("$name")
		printf -v "$var" '%s' "$name"
	done
	# One ip for all of them: every process costs under emulation.
	printf 'netns add %s\n' "${names[@]}" | stt_run ip -batch - || return 1
	STT_NS_LIST+=("${names[@]}")
	for name in "${names[@]}"; do
		ip netns exec "$name" sh -c '
			for f in all default; do
				echo 1 >/proc/sys/net/ipv6/conf/$f/disable_ipv6
			done 2>/dev/null
			ip link set lo up' || return 1
	done
}

# stt_ipv6_on NS...: IPv6 on again in each NS (setup_ns turns it off),
# without duplicate address detection.
stt_ipv6_on()
{
	local ns

	for ns in "$@"; do
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
			net.ipv6.conf.default.disable_ipv6=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null || return 1
	done
}

# stt_tunnel_cmd DEV LOCAL REMOTE [extra args]: the "link add" command
# (for ip or ip -batch, without "ip") of one tunnel device of STT_KIND.
stt_tunnel_cmd()
{
	local dev=$1 local_ip=$2 remote_ip=$3

	shift 3
	case $STT_KIND in
	stt)
		echo "link add $dev type stt remote $remote_ip local $local_ip" \
			"key $STT_KEY dstport $STT_PORT $*"
		;;
	geneve)
		echo "link add $dev type geneve id 4660 remote $remote_ip $*"
		;;
	vxlan)
		echo "link add $dev type vxlan id 4660 remote $remote_ip" \
			"local $local_ip dstport 4789 $*"
		;;
	*)
		echo "unknown STT_KIND $STT_KIND" >&2
		return 1
		;;
	esac
}

# stt_add_tunnel NS DEV LOCAL REMOTE [extra args]: one tunnel device.
stt_add_tunnel()
{
	local ns=$1 cmd

	shift
	cmd=$(stt_tunnel_cmd "$@") || return 1
	# shellcheck disable=SC2086 # the command's words
	stt_run ip -n "$ns" $cmd
}

# stt_try CMD...: run CMD; on failure say which command failed.
stt_try()
{
	local out

	out=$(stt_run "$@" 2>&1) && return 0
	ktap_info "failed: $*"
	[ -n "$out" ] && ktap_info "$out"
	return 1
}

# _stt_topo_end NS UL UL_IP PEER_IP IN_IP MTU: one end's addresses and
# tunnel.
_stt_topo_end()
{
	local ns=$1 ul=$2 ul_ip=$3 peer=$4 in_ip=$5 mtu=$6 cmds

	cmds="addr add $ul_ip/24 dev $ul
link set $ul up
$(stt_tunnel_cmd "$TUN" "$ul_ip" "$peer")
addr add $in_ip/24 dev $TUN
${mtu:+link set $TUN mtu $mtu
}link set $TUN up" || return 1
	stt_try ip -n "$ns" -batch - <<<"$cmds"
}

# stt_topo_setup [INNER_MTU]: create NS_A/NS_B with the topology above.
stt_topo_setup()
{
	local mtu=${1:-}

	setup_ns NS_A NS_B || return 1
	stt_try ip link add "$UL_A" netns "$NS_A" mtu 1500 type veth \
		peer name "$UL_B" netns "$NS_B" mtu 1500 || return 1
	# Each end in one ip -batch.
	_stt_topo_end "$NS_A" "$UL_A" "$UL_IP_A" "$UL_IP_B" "$IN_IP_A" "$mtu" ||
		return 1
	_stt_topo_end "$NS_B" "$UL_B" "$UL_IP_B" "$UL_IP_A" "$IN_IP_B" "$mtu" ||
		return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$UL_IP_B" >/dev/null ||
		{ ktap_info "underlay ping 192.0.2.1 -> 192.0.2.2 fails"; return 1; }
}

stt_set_inner_mtu()
{
	ip -n "$NS_A" link set "$TUN" mtu "$1" &&
		ip -n "$NS_B" link set "$TUN" mtu "$1"
}

# stt_ping NS DST [COUNT [SIZE [ping args]]]: COUNT echo requests, one
# after the other, each answered within STT_PING_WAIT seconds (default
# 15), or it fails at the first one that is not, and says which.  One
# "ping -c 1" per request, not one "ping -c COUNT": once any reply is in,
# iputils waits only max(2 * the slowest round trip so far, the interval)
# after the last request (schedule_exit() in ping_common.c; -W counts only
# while nothing has come back), so a reply held up longer than that by an
# emulated host was counted as lost: "5 transmitted, 4 received" through
# Open vSwitch's upcalls on 6.1 under CI's load, whose slowest round trip
# was 295 ms.  Still exactly COUNT requests, so counter checks around it
# hold.
stt_ping()
{
	local ns=$1 dst=$2 count=${3:-3} size=${4:-56} wait=${STT_PING_WAIT:-15} out

	shift 2
	shift $(($# < 2 ? $# : 2))
	# shellcheck disable=SC2016 # expanded by the sh in NS
	out=$(nsx "$ns" timeout $((count * 5 + wait + 20)) sh -c '
		n=$1 w=$2 dst=$3 i=0
		shift 3
		while [ "$i" -lt "$n" ]; do
			i=$((i + 1))
			o=$(ping -q -c 1 -W "$w" "$@" "$dst" 2>&1) && continue
			printf "%s\n" "$o" | tail -3
			echo "request $i of $n to $dst: no reply within $w s"
			exit 1
		done' sh "$count" "$wait" "$dst" -s "$size" "$@" 2>&1) && return 0
	printf '%s\n' "${out:-ping timed out}" | ktap_info
	return 1
}

###########################################################################
# Counters
###########################################################################

# stt_counters NS DEV: every counter of DEV and the netns, one
# "name value" a line: ethtool -S names as they are, /proc/net/stt as
# proc.NAME, the device's statistics (ip -s link) as link.rx_packets etc.
# One process in NS, no python: cheap enough to poll under emulation.
stt_counters()
{
	# shellcheck disable=SC2016 # expanded by the sh in NS
	nsx "$1" sh -c '
		p=/proc/net/stt
		[ -r $p ] || p=
		ethtool -S "$1" 2>/dev/null | awk "$2" - $p /sys/class/net/"$1"/statistics/*
	' _ "$2" '
		FILENAME == "-" {
			if (split($0, f, ":") == 2 && f[2] ~ /^ *[0-9]+ *$/) {
				gsub(/ /, "", f[1]); gsub(/ /, "", f[2]); print f[1], f[2]
			}
			next
		}
		FILENAME == "/proc/net/stt" {
			if (NF == 2 && $2 ~ /^-?[0-9]+$/) print "proc." $1, $2
			next
		}
		{ n = FILENAME; sub(/.*\//, "", n); print "link." n, $1 }' 2>/dev/null
}

# Counters that must not move on a clean underlay: malformed or corrupted
# segments, and frames killed for inconsistency.  (Timeouts may: veth in
# NAPI mode drops segments when its ring is full.)
export STT_ERROR_COUNTERS="proc.rx_truncated proc.rx_bad_doff proc.rx_csum_errors
proc.rx_zero_len proc.rx_seg_overrun proc.rx_short_frame proc.rx_bad_version
proc.rx_unknown_peer proc.rx_xfrm_policy proc.rx_not_host
proc.reasm_len_mismatch proc.reasm_overlaps rx_bad_l4_offset rx_bad_offload
rx_ecn_drops"

# stt_snap NS DEV FILE: save the counters.
stt_snap() { stt_counters "$1" "$2" >"$3"; }

# _stt_lookup FILE NAME VAR: set VAR to counter NAME of a snapshot ("" when
# absent).  Pure bash, no subshell: the tests look counters up hundreds of
# times, and an awk per lookup costs a third of a second under TCG.
_stt_lookup()
{
	local _sl_k _sl_v	# not names a caller passes as VAR

	printf -v "$3" '%s' ""
	while read -r _sl_k _sl_v; do
		[ "$_sl_k" = "$2" ] && { printf -v "$3" '%s' "$_sl_v"; return 0; }
	done <"$1"
}

# stt_val FILE NAME: a counter from a snapshot ("" when absent).
stt_val()
{
	local v

	_stt_lookup "$1" "$2" v
	echo "$v"
}

# stt_delta BEFORE AFTER NAME: after - before ("" when absent).
stt_delta()
{
	local a b

	_stt_lookup "$1" "$3" a
	_stt_lookup "$2" "$3" b
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo ""
	else
		echo $((b - a))
	fi
}

# stt_show_deltas BEFORE AFTER: every counter that changed, as diagnostics.
stt_show_deltas()
{
	awk 'NR == FNR { a[$1] = $2; next }
	     ($1 in a) && $2 != a[$1] { printf "  %-28s %+.0f\n", $1, $2 - a[$1] }
	     !($1 in a) { printf "  %-28s %.0f (new)\n", $1, $2 }' "$1" "$2"
}

###########################################################################
# iperf3
###########################################################################

STT_IPERF_PORT=5201

_stt_listening()
{
	nsx "$1" ss -Hltn "sport = :$STT_IPERF_PORT" 2>/dev/null | grep -q .
}

# stt_iperf SERVER_NS SERVER_IP CLIENT_NS SECS [iperf3 client args]:
# one TCP run; prints the receiver's throughput in Mbit/s, returns 1 if
# no data went through.
stt_iperf()
{
	local sns=$1 sip=$2 cns=$3 secs=$4 spid out mbps

	shift 4
	nsx "$sns" timeout $((secs + 60)) iperf3 -s -1 -B "$sip" \
		-p "$STT_IPERF_PORT" >/dev/null 2>&1 &
	spid=$!
	stt_track_pid "$spid"
	if ! stt_wait_for 10 _stt_listening "$sns"; then
		ktap_info "iperf3 server did not start in $sns" >&2
		return 1
	fi
	out=$(nsx "$cns" timeout $((secs + 45)) iperf3 -c "$sip" \
		-p "$STT_IPERF_PORT" -t "$secs" --connect-timeout 5000 -J "$@" 2>&1)
	wait "$spid" 2>/dev/null
	# jq, not python: a tenth of the start-up cost under TCG.
	mbps=$(jq -r 'if .error then "error: " + .error
		else .end.sum_received.bits_per_second / 1e6 * 10 | round / 10
		end' <<<"$out" 2>/dev/null)
	if [[ ! $mbps =~ ^[0-9.]+$ ]] || [ "$mbps" = 0 ]; then
		{
			ktap_info "iperf3 -c $sip $* failed: ${mbps:-no JSON}"
			printf '%s\n' "$out" | grep -iE 'error|unable|refused|timeout' |
				head -5 | ktap_info
		} >&2
		return 1
	fi
	echo "$mbps"
}

# stt_ratio A B: A/B with two decimals, "n/a" when B is 0 or missing.
stt_ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b + 0 > 0 && a != "") printf "%.2f\n", a / b
		else print "n/a" }'
}

# stt_kv KEY TEXT: the value of the word KEY=VALUE in TEXT (a line of
# key=value words, such as stt_sample.py's summary), exactly that key.
stt_kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# stt_ratio_ge RATIO FLOOR: RATIO (from stt_ratio) is a number >= FLOOR.
stt_ratio_ge()
{
	awk -v r="$1" -v f="$2" 'BEGIN { exit !(r != "n/a" && r >= f) }'
}

# stt_median V...: the median of the numbers given ("" for none).
stt_median()
{
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

###########################################################################
# tshark
###########################################################################

# stt_cap_start NS DEV FILE FILTER [COUNT [SECS]]: capture packets that
# match the pcap FILTER on DEV in the background, into FILE (pcap), until
# COUNT packets (default 100000), SECS seconds (default 120; times STT_SLOW
# on a slow kernel, where stt_qos's 1000 flows outlasted 40 s) or
# stt_cap_stop.  dumpcap, not tshark: tshark needs over ten seconds to
# start under TCG, dumpcap well under one.  Returns once dumpcap is
# capturing; the pid is in STT_CAP_PID.
STT_CAP_PID=""
stt_cap_start()
{
	local ns=$1 dev=$2 file=$3 filter=$4 count=${5:-100000}
	local secs=$((${6:-120} * STT_SLOW)) log=$3.log

	rm -f "$file"
	: >"$log"
	# ip netns exec execs dumpcap: $! is dumpcap itself, so
	# stt_cap_stop's SIGTERM reaches it (dumpcap then closes the file
	# properly).
	ip netns exec "$ns" dumpcap -q -n -P -i "$dev" -f "$filter" -c "$count" \
		-a "duration:$secs" -w "$file" >"$log" 2>&1 &
	STT_CAP_PID=$!
	stt_track_pid "$STT_CAP_PID"
	stt_wait_for 20 stt_file_has "$log" "Capturing on" && return 0
	ktap_info "dumpcap did not start on $dev in ${ns%-*}: $(cat "$log")"
	return 1
}

# stt_cap_stop: end the capture (it may have ended by itself); what was
# sent before the call is in the file.
stt_cap_stop()
{
	[ -n "$STT_CAP_PID" ] || return 0
	# The packet socket's queue is read asynchronously: give it a moment.
	stt_sleep 0.5
	kill -TERM "$STT_CAP_PID" 2>/dev/null
	wait "$STT_CAP_PID" 2>/dev/null
	STT_CAP_PID=""
	return 0
}

# stt_pcap_ip4 FILE: "TOS total-length" (decimal) of every IPv4 packet
# in an Ethernet pcap, behind up to 8 802.1Q/802.1ad tags, one a line.  A
# few lines of python.
stt_pcap_ip4()
{
	stt_python - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
if len(d) < 24:
    sys.exit(0)
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
if struct.unpack(e + "I", d[20:24])[0] != 1:
    sys.exit("not an Ethernet capture")
off = 24
while off + 16 <= len(d):
    incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
    p = d[off + 16:off + 16 + incl]
    off += 16 + incl
    l3 = 12
    while p[l3:l3 + 2] in (b"\x81\x00", b"\x88\xa8") and l3 < 12 + 4 * 8:
        l3 += 4
    if len(p) >= l3 + 22 and p[l3:l3 + 2] == b"\x08\x00" and p[l3 + 2] >> 4 == 4:
        print(p[l3 + 3], struct.unpack(">H", p[l3 + 4:l3 + 6])[0])
PY
}

# stt_pcap_ecn FILE: the ECN field (0-3) of every IPv4 packet in an
# Ethernet pcap, one a line.  Not tshark, which takes over ten seconds to
# start under TCG.
stt_pcap_ecn()
{
	local tos

	stt_pcap_ip4 "$1" | while read -r tos _; do
		echo $((tos & 3))
	done
}

# stt_decode FILE [tshark args]: tshark -r with the STT heuristic enabled;
# its output on stdout, and status 0, only if tshark ran cleanly.
#
# What counts as a tshark failure: a non-zero exit (a bad display filter,
# an unknown field or preference, an unreadable or cut-short file, a crash
# or the 120 s timeout), or any line on stderr other than the ones in
# STT_TSHARK_HARMLESS.  Those are the notice tshark prints whenever it runs
# as root ("Running as user "root" and group "root". This could be
# dangerous.") and nothing else: a warning about the capture file, a
# dissector bug ("Dissector bug", "** (tshark:...) WARNING **") or a
# preference tshark could not apply is an error.  On a failure nothing is
# printed on stdout (a caller that counts lines sees none), and the reason,
# with tshark's stderr, goes to stderr as KTAP notes.
STT_TSHARK_HARMLESS='^Running as user "[^"]*" and group "[^"]*"\. This could be dangerous\.$'
stt_decode()
{
	local file=$1 out err rc bad

	shift
	out=$(mktemp "${TMPDIR:-/tmp}/stt-decode.XXXXXX") || return 1
	err=$out.err
	timeout 120 tshark -n -r "$file" -o ip.try_heuristic_first:TRUE "$@" \
		>"$out" 2>"$err"
	rc=$?
	bad=$(grep -vE "$STT_TSHARK_HARMLESS" "$err")
	if [ "$rc" -ne 0 ] || [ -n "$bad" ]; then
		{
			ktap_info "tshark -r ${file##*/} $*: exit $rc$([ "$rc" = 124 ] && echo " (timeout)")"
			[ -n "$bad" ] && printf '%s\n' "$bad" | head -5 | ktap_info
		} >&2
		rm -f "$out" "$err"
		return 1
	fi
	cat "$out"
	rm -f "$out" "$err"
}

# Expert infos of the STT dissector, its reassembly errors, and malformed
# packets inside STT.  The inner TCP's own analysis warnings (lost
# segment, window full, ...) are not STT's and are not looked at.
# stt.checksum_bad.expert needs "-o stt.check_checksum:TRUE", which no
# test passes: tshark 4.0's STT dissector then reports every segment's
# checksum as bad, right ones included ("Bad checksum [should be
# 0x0000]"; its TCP dissector accepts the same bytes).  Where checksums
# are real (stt_wire.sh section 5) stt_wire_check.py --check-csum verifies
# the outer ones and tshark's tcp.check_checksum the inner ones.
STT_EXPERT='stt.version_unknown.expert || stt.data_offset_bad.expert ||
	stt.l4offset_bad.expert || stt.mss_bad.expert ||
	stt.checksum_bad.expert || stt.segment.error || stt.segment.overlap ||
	stt.segment.multipletails || stt.segment.toolongfragment ||
	(stt && _ws.malformed)'

# stt_expert_clean PCAP... : no STT expert info in any of the captures
# (merged into one, so that tshark starts once); up to 10 offenders as
# KTAP notes otherwise.  IPv6 captures need STT_DECODE_ARGS="-o
# ipv6.try_heuristic_first:TRUE".
stt_expert_clean()
{
	local bad pcap=$1

	if [ $# -gt 1 ]; then
		pcap=$(mktemp --suffix=.pcap "${TMPDIR:-/tmp}/stt-expert.XXXXXX") || return 1
		mergecap -F pcap -w "$pcap" "$@" || return 1
	fi
	# shellcheck disable=SC2086 # a list of tshark options
	if ! bad=$(stt_decode "$pcap" ${STT_DECODE_ARGS:-} -Y "$STT_EXPERT" \
		-T fields -e frame.number -e _ws.expert.message -E occurrence=a \
		-E aggregator='; '); then
		[ "$pcap" = "$1" ] || rm -f "$pcap"
		ktap_info "tshark failed: not clean"
		return 1
	fi
	[ "$pcap" = "$1" ] || rm -f "$pcap"
	[ -z "$bad" ] && return 0
	ktap_info "$(printf '%s\n' "$bad" | wc -l) packets with STT expert info, e.g.:"
	printf '%s\n' "$bad" | head -10 | ktap_info
	return 1
}

# stt_capture_drops PCAP: packets the capture lost (dumpcap's closing line,
# "Packets received/dropped on interface 'veth_a': 600/0 (...)").
stt_capture_drops()
{
	sed -n "s|.*received/dropped on interface .*: [0-9]*/\([0-9]*\).*|\1|p" \
		"$1.log" 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'
}

# stt_wire_check PCAP [stt_wire_check.py args]: every segment and frame of
# a capture of STT traffic (IPv4 or IPv6 underlay) checked by
# selftests/stt_wire_check.py against draft-davie-stt-03 §3.1-3.2.  Extra
# tshark options (an IPv6 capture needs "-o ipv6.try_heuristic_first:TRUE")
# in STT_DECODE_ARGS.  The checker's report is left in STT_WIRE_OUT, the
# segment count in STT_WIRE_NSEG.  A tshark failure fails the check.
stt_wire_check()
{
	local pcap=$1 fields rc tsv

	shift
	tsv=$pcap.fields
	fields=$(stt_python "$STT_SELFTESTS/stt_wire_check.py" --fields)
	# shellcheck disable=SC2086 # lists of tshark options
	if ! stt_decode "$pcap" ${STT_DECODE_ARGS:-} -o stt.reassemble:FALSE \
		-T fields -E header=y -E separator=/t -E occurrence=f $fields \
		>"$tsv"; then
		STT_WIRE_OUT="tshark failed on ${pcap##*/}"
		STT_WIRE_NSEG=0
		return 1
	fi
	STT_WIRE_OUT=$(stt_python "$STT_SELFTESTS/stt_wire_check.py" \
		--key "$STT_KEY" --port "$STT_PORT" --pcap "$pcap" \
		--drops "$(stt_capture_drops "$pcap")" "$@" <"$tsv")
	rc=$?
	STT_WIRE_NSEG=$(sed -n 's/^STT segments: \([0-9]*\),.*/\1/p' <<<"$STT_WIRE_OUT")
	STT_WIRE_NSEG=${STT_WIRE_NSEG:-0}
	return "$rc"
}

# One readable line per segment.
stt_decode_table()
{
	local file=$1

	shift
	stt_decode "$file" -o stt.reassemble:FALSE -T fields -E header=y \
		-E separator=/t -E occurrence=f \
		-e frame.number -e ip.src -e ip.dst -e ip.len \
		-e stt.stream_id -e stt.dport -e stt.pkt_len -e stt.seg_off \
		-e stt.pkt_id -e stt.tcp.flags -e stt.version -e stt.flags \
		-e stt.l4offset -e stt.mss -e stt.context_id "$@"
}

###########################################################################
# Reassembly: /proc/net/stt, the segment identity, crafted segments,
# sha256-checked transfers
###########################################################################

STT_CRAFT=${STT_CRAFT:-$STT_REPO/tools/stt-craft}
# Run through "ip netns exec", which cannot run the stt_python function.
STT_PY=/usr/bin/python3
[ -x "$STT_PY" ] || STT_PY=$(command -v python3)

# stt_require_craft: skip (exit 4) unless tools/stt-craft is built.
stt_require_craft()
{
	[ -x "$STT_CRAFT" ] ||
		ktap_skip_all "tools/stt-craft not built (make tools): $STT_CRAFT"
}

# stt_craft NS [stt-craft args]: crafted segments from netns NS.
stt_craft() { nsx "$1" "$STT_CRAFT" "${@:2}"; }

# stt_proc_val NS NAME: one /proc/net/stt counter of NS ("" if absent).
stt_proc_val()
{
	nsx "$1" awk -v n="$2" '$1 == n { print $2; exit }' /proc/net/stt \
		2>/dev/null
}

# stt_sysctl NS NAME [VALUE]: read (or set) net.stt.NAME in NS.
stt_sysctl()
{
	if [ $# -gt 2 ]; then
		nsx "$1" sysctl -qw "net.stt.$2=$3" >/dev/null
	else
		nsx "$1" sysctl -n "net.stt.$2" 2>/dev/null
	fi
}

# stt_reasm_limits NS HIGH LOW TIMEOUT_MS: NS's reassembly thresholds and
# timeout, in an order that keeps low <= high at every step.
stt_reasm_limits()
{
	if [ "$2" -ge "$(stt_sysctl "$1" reasm_high_thresh)" ]; then
		stt_sysctl "$1" reasm_high_thresh "$2" &&
			stt_sysctl "$1" reasm_low_thresh "$3"
	else
		stt_sysctl "$1" reasm_low_thresh "$3" &&
			stt_sysctl "$1" reasm_high_thresh "$2"
	fi && stt_sysctl "$1" reasm_timeout_ms "$4"
}

# stt_reasm_idle NS: nothing held in NS's reassembly table.
stt_reasm_idle() { [ "$(stt_proc_val "$1" reasm_bytes)" = 0 ]; }

# stt_wait_reasm_idle NS [SECS]: wait for reasm_bytes == 0 (default: the
# netns's reassembly timeout plus 10 s).
stt_wait_reasm_idle()
{
	local ns=$1 secs=${2:-} ms

	if [ -z "$secs" ]; then
		ms=$(stt_sysctl "$ns" reasm_timeout_ms)
		secs=$(((${ms:-1000} + 999) / 1000 + 10))
	fi
	stt_wait_for "$secs" stt_reasm_idle "$ns"
}

# _stt_identity_once NS: print the identity's terms as "name value" lines.
_stt_identity_once()
{
	local ns=$1 dev

	nsx "$ns" cat /proc/net/stt 2>/dev/null |
		awk 'NF == 2 && $2 ~ /^-?[0-9]+$/ { print "proc." $1, $2 }'
	for dev in $(ip -n "$ns" -o link show type stt 2>/dev/null |
		awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		nsx "$ns" ethtool -S "$dev" 2>/dev/null | awk -v d="$dev" -F: '
			NF == 2 { gsub(/ /, "", $1); gsub(/ /, "", $2)
				  print d "." $1, $2 }'
	done
	nsx "$ns" awk '$1 == "rx_segments" { print "proc.rx_segments2", $2 }' \
		/proc/net/stt 2>/dev/null
}

# The drop counters of /proc/net/stt that take part in the identity.
STT_IDENTITY_DROPS="rx_nomem rx_truncated rx_bad_doff rx_csum_errors
rx_zero_len rx_seg_overrun rx_short_frame rx_bad_version rx_no_device
rx_unknown_peer rx_xfrm_policy rx_not_host
reasm_duplicates reasm_mem_drops reasm_dropped_segs"

# stt_check_identity NS: at a quiescent moment (after the reassembly
# timeout, reasm_bytes == 0), every outer skb the hook took in NS is
# accounted for exactly once:
#   rx_segments == sum over NS's stt devices of (rx_skbs + rx_bad_l4_offset
#                  + rx_bad_offload + rx_ecn_drops) + every drop counter of
#                  /proc/net/stt
#                  + reasm_duplicates + reasm_mem_drops + reasm_dropped_segs
# Prints the terms; returns 1 if the sides differ, reasm_bytes stays
# non-zero or a counter is missing.  Retries while segments still arrive.
stt_check_identity()
{
	local ns=$1 f out

	stt_tmpdir f || return 1
	f=$f/identity
	if ! stt_wait_reasm_idle "$ns"; then
		ktap_info "identity $ns: reasm_bytes still $(stt_proc_val "$ns" reasm_bytes)"
		return 1
	fi
	for _ in 1 2 3 4 5; do
		_stt_identity_once "$ns" >"$f"
		[ "$(stt_val "$f" proc.rx_segments)" = \
			"$(stt_val "$f" proc.rx_segments2)" ] &&
			[ "$(stt_val "$f" proc.reasm_bytes)" = 0 ] && break
		stt_sleep 1
	done
	out=$(awk -v drops="$STT_IDENTITY_DROPS" '
		{ v[$1] = $2 }
		$1 ~ /\.rx_skbs$/ { dev[substr($1, 1, length($1) - 8)] = 1 }
		END {
			if (!("proc.rx_segments" in v)) { print "missing proc.rx_segments"; exit 1 }
			rhs = 0; terms = ""; miss = ""
			for (d in dev) {
				split("rx_skbs rx_bad_l4_offset rx_bad_offload rx_ecn_drops", n, " ")
				for (i = 1; i <= 4; i++) {
					k = d "." n[i]
					if (!(k in v)) { miss = miss " " k; continue }
					rhs += v[k]; terms = terms sprintf(" %s=%s", k, v[k])
				}
			}
			m = split(drops, n, /[ \n]+/)
			for (i = 1; i <= m; i++) {
				if (n[i] == "") continue
				k = "proc." n[i]
				if (!(k in v)) { miss = miss " " k; continue }
				rhs += v[k]
				if (v[k] != 0) terms = terms sprintf(" %s=%s", n[i], v[k])
			}
			printf "rx_segments=%s %s sum=%d:%s\n", v["proc.rx_segments"],
				(v["proc.rx_segments"] == rhs ? "==" : "!="), rhs, terms
			if (miss != "") { print "missing counters:" miss; exit 1 }
			if (v["proc.reasm_bytes"] != 0) { print "reasm_bytes=" v["proc.reasm_bytes"]; exit 1 }
			exit (v["proc.rx_segments"] == rhs ? 0 : 1)
		}' "$f")
	local rc=$?

	ktap_info "identity in ${ns%-*}: $out"
	return "$rc"
}

# stt_make_file PATH MIB: MIB MiB of random data.
stt_make_file()
{
	head -c "$(($2 << 20))" /dev/urandom >"$1"
}

# stt_xfer SRV_NS SRV_IP CLI_NS FILE [PORT [TIMEOUT]]: send FILE from
# CLI_NS to SRV_IP:PORT over TCP (tools/stt-xfer), compare the receiver's
# sha256 with the file's.  Prints "SECS" (the sender's time) and returns 0
# on a match; prints why and returns 1 otherwise.  TIMEOUT (300 s) limits
# the whole transfer, times STT_SLOW.
STT_XFER_PORT=5301
STT_XFER=${STT_XFER:-$STT_REPO/tools/stt-xfer}
stt_xfer()
{
	local sns=$1 sip=$2 cns=$3 file=$4 port=${5:-$STT_XFER_PORT}
	local tmo=$((${6:-300} * STT_SLOW)) d spid want got sout cout rc=0

	if [ ! -x "$STT_XFER" ]; then
		ktap_info "stt_xfer: $STT_XFER is not built (make tools)" >&2
		return 1
	fi
	stt_tmpdir d || return 1
	# The file's hash, computed once.
	[ -s "$file.sha256" ] || sha256sum "$file" | awk '{ print $1 }' >"$file.sha256"
	want=$(<"$file.sha256")
	ip netns exec "$sns" "$STT_XFER" recv "$sip" "$port" "$tmo" >"$d/recv" 2>&1 &
	spid=$!
	stt_track_pid "$spid"
	if ! stt_wait_for 10 stt_file_has "$d/recv" listening; then
		ktap_info "stt_xfer: receiver did not start: $(cat "$d/recv")" >&2
		return 1
	fi
	cout=$(ip netns exec "$cns" timeout $((tmo + 10)) "$STT_XFER" send \
		"$sip" "$port" "$file" "$tmo" 2>&1) || rc=1
	wait "$spid" || rc=1
	sout=$(<"$d/recv")
	got=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' <<<"$sout")
	if [ "$rc" != 0 ] || [ "$got" != "$want" ]; then
		{
			ktap_info "stt_xfer $file -> $sip:$port failed"
			ktap_info "sender: $cout"
			ktap_info "receiver: $sout"
			ktap_info "sent sha256 $want, $(stat -c %s "$file") bytes"
		} >&2
		return 1
	fi
	sed -n 's/.*secs=\([0-9.]*\).*/\1/p' <<<"$cout"
}

# stt_xfer_noted SRV_NS SRV_IP CLI_NS FILE PORT: stt_xfer with a 120 s
# limit, its time as a KTAP note.
stt_xfer_noted()
{
	local secs

	secs=$(stt_xfer "$@" 120) || return 1
	ktap_info "$(basename "$4") to $2: ${secs}s"
}

# stt_stream_start SRV_NS SRV_IP CLI_NS [MBIT [PORT]]: a TCP stream from
# CLI_NS to SRV_IP that runs, at no more than MBIT Mbit/s (0: no limit),
# until stt_stream_stop.
STT_STREAM_DIR=""
stt_stream_start()
{
	local sns=$1 sip=$2 cns=$3 mbit=${4:-0} port=${5:-5302}

	stt_tmpdir STT_STREAM_DIR || return 1
	ip netns exec "$sns" "$STT_XFER" recv "$sip" "$port" 60 \
		>"$STT_STREAM_DIR/recv" 2>&1 &
	STT_STREAM_RPID=$!
	stt_track_pid "$STT_STREAM_RPID"
	stt_wait_for 10 stt_file_has "$STT_STREAM_DIR/recv" listening || return 1
	ip netns exec "$cns" "$STT_XFER" stream "$sip" "$port" \
		"$STT_STREAM_DIR/stop" "$mbit" >"$STT_STREAM_DIR/send" 2>&1 &
	STT_STREAM_SPID=$!
	stt_track_pid "$STT_STREAM_SPID"
}

# shellcheck disable=SC2034 # STT_STREAM_* are read by the tests
# stt_stream_stop: stop the stream; the receiver must have got exactly
# what was sent (bytes and sha256).  Sets STT_STREAM_BYTES and
# STT_STREAM_SECS.  Not in $(...): it waits for its own children.
stt_stream_stop()
{
	local d=$STT_STREAM_DIR rc=0 sent got

	STT_STREAM_BYTES=""
	STT_STREAM_SECS=""
	[ -n "$d" ] || return 1
	touch "$d/stop"
	wait "$STT_STREAM_SPID" || rc=1
	wait "$STT_STREAM_RPID" || rc=1
	sent=$(sed -n 's/.*bytes=\([0-9]*\) sha256=\([0-9a-f]*\).*/\1 \2/p' "$d/send")
	got=$(sed -n 's/.*bytes=\([0-9]*\) sha256=\([0-9a-f]*\).*/\1 \2/p' "$d/recv")
	if [ "$rc" != 0 ] || [ -z "$sent" ] || [ "$sent" != "$got" ] ||
		[ "${sent%% *}" = 0 ]; then
		{
			ktap_info "stream: sender: $(cat "$d/send")"
			ktap_info "stream: receiver: $(cat "$d/recv")"
		} >&2
		return 1
	fi
	STT_STREAM_BYTES=${sent%% *}
	STT_STREAM_SECS=$(sed -n 's/.*secs=\([0-9.]*\).*/\1/p' "$d/send")
}
