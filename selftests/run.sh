#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the stt selftests, kselftest-runner style, as root on the kernel the
# module was built for (in practice inside tools/vm-run):
#
#   selftests/run.sh [-k path/to/stt.ko] [-t SECS] [test ...]
#
#   -k   module to load (default build/$(uname -r)/stt.ko); exported to the
#        tests as STT_KO (absolute path)
#   -t   per-test timeout (default: timeout= in selftests/settings)
#   -l   list the default tests, one a line, and exit
#   test names with or without .sh (default: all, stt_rmmod.sh last)
#
# Output: "TAP version 13", "1..N", each test announced, its output
# prefixed "# ", then "ok N selftests: stt: NAME" / "not ok N ... #
# exit=RC" / "... # TIMEOUT" / "ok N ... # SKIP" (exit 4).  Skipped points
# are counted, not only skipped tests: a test that passes with "# SKIP"
# points inside says so on its own line ("ok N selftests: stt: NAME #
# passed, 2 points skipped"), and every skipped point, and every test
# skipped as a whole, gets one line "# skipped point: NAME: DESC # SKIP
# REASON" (check.sh and .ci/run collect them).  dmesg is
# checked after each test: a WARNING/BUG/leak/refcount/Oops line (lib.sh's
# STT_DMESG_BAD) fails the test.  One more point, "kernel log after the
# last test", waits STT_LATE_WAIT seconds (5), has kmemleak scan where the
# kernel has it (make debug-kernel's), and fails on a report in dmesg or
# in kmemleak's list.  The last line is "STT-RESULT pass=N fail=N skip=N
# skipped_points=N" (skip: tests skipped as a whole; skipped_points: every
# skipped point, those tests' included).
# Exit status: 0 all passed (or passed and skipped), 1 any failure,
# 4 nothing passed and everything skipped.

DIR=$(cd "$(dirname "$0")" && pwd)
DEFAULT_TESTS=(stt_netlink.sh stt_basic.sh stt_demo.sh stt_offload.sh stt_gso.sh stt_ethtool.sh stt_wire.sh
	stt_qos.sh stt_ipv6.sh stt_pmtu.sh stt_firewall.sh stt_mcast.sh stt_external.sh stt_ovs.sh stt_ovs_opts.sh stt_ovn.sh
	stt_dev.sh
	stt_netns.sh stt_crafted.sh stt_rxguard.sh stt_underlay.sh stt_policy.sh stt_faults.sh stt_flood.sh stt_bench_smoke.sh
	stt_scale_smoke.sh
	stt_teardown.sh stt_rmmod.sh)

usage()
{
	sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

KO=""
TIMEOUT=""
while getopts "k:t:lh" opt; do
	case $opt in
	l)
		printf '%s\n' "${DEFAULT_TESTS[@]}"
		exit 0
		;;
	k) KO=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

source "$DIR/lib.sh"
# The runner is not a test: its own exit trap only cleans up.
STT_DMESG_MARK=""

if [ -n "$KO" ]; then
	[ -f "$KO" ] || { echo "run.sh: no such module: $KO" >&2; exit 2; }
	STT_KO=$(cd "$(dirname "$KO")" && pwd)/$(basename "$KO")
else
	STT_KO=$(stt_ko_path)
fi
export STT_KO
export IP_LIB_DIR="${IP_LIB_DIR:-$STT_REPO/tools/iproute2}"

DEF_TIMEOUT=$(sed -n 's/^timeout=\([0-9]\+\)$/\1/p' "$DIR/settings" 2>/dev/null)
DEF_TIMEOUT=${DEF_TIMEOUT:-600}
TIMEOUT=${TIMEOUT:-$DEF_TIMEOUT}
# A longer per-test timeout (a slow kernel) stretches the tests' own
# transfer limits alike (lib.sh's STT_SLOW).
if [ "$TIMEOUT" -gt "$DEF_TIMEOUT" ] 2>/dev/null; then
	export STT_SLOW=$(((TIMEOUT + DEF_TIMEOUT - 1) / DEF_TIMEOUT))
fi

# Tests to run; stt_rmmod.sh always last.
[ $# -gt 0 ] || set -- "${DEFAULT_TESTS[@]}"
TESTS=()
LAST=()
for t in "$@"; do
	t=${t%.sh}.sh
	t=${t##*/}
	[ -x "$DIR/$t" ] || { echo "run.sh: no such test: $t" >&2; exit 2; }
	if [ "$t" = stt_rmmod.sh ]; then
		LAST=("$t")
	else
		TESTS+=("$t")
	fi
done
TESTS+=("${LAST[@]}")

echo "TAP version 13"
echo "1..$((${#TESTS[@]} + 1))"
echo "# kernel $(uname -r), module $STT_KO, IP_LIB_DIR=$IP_LIB_DIR, timeout ${TIMEOUT}s per test$([ "$STT_SLOW" -gt 1 ] && echo ", transfer limits x$STT_SLOW")"

# Load the module once here (tests load it too when run alone).
stt_dmesg_mark
if [ "$(id -u)" -ne 0 ]; then
	echo "# not root: every test will skip"
elif stt_module_loaded; then
	echo "# stt already loaded: $(cat /sys/module/stt/srcversion 2>/dev/null)"
elif [ ! -f "$STT_KO" ]; then
	echo "# $STT_KO missing: the tests will skip"
elif stt_load_module >/dev/null 2>&1; then
	echo "# loaded $(modinfo -F vermagic "$STT_KO" 2>/dev/null | awk '{ print $1 }')" \
		"srcversion $(modinfo -F srcversion "$STT_KO" 2>/dev/null)"
else
	echo "# insmod $STT_KO failed:"
	dmesg 2>/dev/null | tail -5 | sed 's/^/#   /'
fi

PASS=0
FAIL=0
SKIP=0
SKIP_POINTS=0
N=0
TIMES=()
OUT=$(mktemp "${TMPDIR:-/tmp}/stt-run.XXXXXX") || exit 2
trap 'rm -f "$OUT"; stt_cleanup' EXIT

for t in "${TESTS[@]}"; do
	N=$((N + 1))
	echo "# selftests: stt: $t"
	start=$(date +%s)
	(cd "$DIR" && timeout -k 30 "$TIMEOUT" "./$t") 2>&1 | tee "$OUT" |
		sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	# The test's own skipped points (its top-level KTAP lines), or the
	# whole test's reason ("1..0 # SKIP why").
	skipped=$(grep -aE '^ok [0-9]+ .*# SKIP' "$OUT" | sed 's/^ok [0-9]* //')
	if [ -z "$skipped" ] && [ "$rc" -eq "$KSFT_SKIP" ]; then
		skipped="(whole test) # SKIP $(sed -n 's/^1\.\.0 # SKIP //p' "$OUT" | head -n1)"
	fi
	nskip=0
	if [ -n "$skipped" ]; then
		nskip=$(printf '%s\n' "$skipped" | wc -l)
		printf '%s\n' "$skipped" | sed "s|^|# skipped point: $t: |"
	fi
	SKIP_POINTS=$((SKIP_POINTS + nskip))
	note=""
	[ "$nskip" -gt 0 ] && note=" # passed, $nskip point$([ "$nskip" -gt 1 ] && echo s) skipped"
	secs=$(($(date +%s) - start))
	TIMES+=("$(printf '%-18s %4ds  exit %s' "$t" "$secs" "$rc")")

	# The kernel log since this test started (or since the module load).
	bad=$(stt_dmesg_since | grep -E "$STT_DMESG_BAD")
	stt_dmesg_mark
	if [ -n "$bad" ]; then
		echo "# dmesg after $t:"
		printf '%s\n' "$bad" | head -40 | sed 's/^/#   /'
	fi

	# A test killed by its timeout cannot clean up: do it for it.
	for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^stt-/ { print $1 }'); do
		echo "# removing leftover netns $ns"
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -f "$STT_KO" ] && ! stt_module_loaded; then
		echo "# stt.ko not loaded after $t: loading it again"
		stt_load_module >/dev/null 2>&1 || echo "# insmod failed"
	fi

	if [ "$rc" -eq 0 ] && [ -z "$bad" ]; then
		echo "ok $N selftests: stt: $t$note"
		PASS=$((PASS + 1))
	elif [ "$rc" -eq "$KSFT_SKIP" ] && [ -z "$bad" ]; then
		echo "ok $N selftests: stt: $t # SKIP"
		SKIP=$((SKIP + 1))
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok $N selftests: stt: $t # TIMEOUT $TIMEOUT seconds"
		FAIL=$((FAIL + 1))
	elif [ -n "$bad" ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq "$KSFT_SKIP" ]; }; then
		echo "not ok $N selftests: stt: $t # dmesg"
		FAIL=$((FAIL + 1))
	else
		echo "not ok $N selftests: stt: $t # exit=$rc"
		FAIL=$((FAIL + 1))
	fi
done

# Late reports: a leak that kmemleak finds once the module is gone, a
# hung task or an RCU stall reported after the last test's check.
N=$((N + 1))
late_point="selftests: stt: kernel log after the last test"
if [ "$(id -u)" -ne 0 ]; then
	echo "ok $N $late_point # SKIP not root"
	echo "# skipped point: run.sh: kernel log after the last test # SKIP not root"
	SKIP=$((SKIP + 1))
	SKIP_POINTS=$((SKIP_POINTS + 1))
else
	sleep "${STT_LATE_WAIT:-5}"
	leaks=""
	if [ -w /sys/kernel/debug/kmemleak ]; then
		# kmemleak reports an object unreferenced for 5 s or more.
		echo scan >/sys/kernel/debug/kmemleak 2>/dev/null
		leaks=$(cat /sys/kernel/debug/kmemleak 2>/dev/null)
		echo "# kmemleak: $(printf '%s' "$leaks" | grep -c '^unreferenced object') unreferenced objects"
	fi
	bad=$(stt_dmesg_since | grep -E "$STT_DMESG_BAD")
	if [ -n "$bad" ] || [ -n "$leaks" ]; then
		[ -n "$bad" ] && printf '%s\n' "$bad" | head -40 | sed 's/^/# dmesg: /'
		[ -n "$leaks" ] && printf '%s\n' "$leaks" | head -60 | sed 's/^/# kmemleak: /'
		echo "not ok $N $late_point"
		FAIL=$((FAIL + 1))
	else
		echo "ok $N $late_point"
		PASS=$((PASS + 1))
	fi
fi

echo "# time per test on $(uname -r):"
printf '#   %s\n' "${TIMES[@]}"
echo "# skipped points: $SKIP_POINTS"
echo "STT-RESULT pass=$PASS fail=$FAIL skip=$SKIP skipped_points=$SKIP_POINTS"
if [ "$FAIL" -gt 0 ]; then
	exit 1
elif [ "$PASS" -eq 0 ] && [ "$SKIP" -gt 0 ]; then
	exit "$KSFT_SKIP"
fi
exit 0
