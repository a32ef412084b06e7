#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: for each kernel, build stt.ko and run the selftests in a VM.
#
#   KVERS="6.1.0-56-amd64 6.12.117+deb12-amd64" tools/check.sh
#
# KVERS defaults to the Makefile's (make print-kvers: the newest kernel with
# headers of each series and flavour, 6.1, 6.12, 6.12-rt and trixie's 7.x);
# a tools/vm-run prefix such as 6.12 or 6.12-rt works too.  Per kernel:
#   make KVER=$KVER modules
#   tools/vm-run $KVER -- selftests/run.sh -k build/$KVER/stt.ko
# The runner's last result line is "STT-RESULT pass=N fail=N skip=N
# skipped_points=N".  A kernel whose module doesn't build, or whose VM never
# prints STT-RESULT, counts as (at least) one failure.  Skipped points are
# counted, not only skipped tests: every "# skipped point: TEST: DESC #
# SKIP WHY" line of a run (and every skipped point of check-dkms's
# stt_install.sh runs) is listed at the end, one "==== check: skipped
# point: KVER: TEST: DESC # SKIP WHY" line each, for .ci/run's allowlist.
# Ends with "N passed, N failed, N skipped, N skipped points" and exits
# non-zero if anything failed.  Output of each kernel's
# run is also kept in build/check/$KVER.log, and the reassembly flood test's
# memory samples are drawn into build/check/$KVER-flood.png.
#
# SANITIZE=1 (make check SANITIZE=1) boots every kernel with slub_debug=FZPU
# (sanity checks, red zones, poisoning, user tracking) and, where the kernel
# has KFENCE (6.12, always; not Debian's 6.1), kfence.sample_interval=1, all
# through VM_APPEND; the guest prints what it got before the runner starts,
# and a kernel whose guest does not report kmalloc-64's sanity_checks,
# red_zone, poison and store_user all 1 (and, where KFENCE is expected,
# kfence.sample_interval=1) counts as a failure, whatever its tests did.  The
# logs are build/check/$KVER-sanitize.log.  The VM time limit per kernel is
# VM_TIMEOUT, default 5000 s in both modes: the whole suite takes 20-45
# minutes under TCG, depending on how much CPU the host really gives (CI's
# own limit is 90 minutes for everything).
#
# Before the kernels, the iproute2 plugin's unit test on the host (make -C
# tools/iproute2 test) and the documentation checks (tools/check-docs.py);
# not with SANITIZE=1 or CHECK_TESTS.
#
# Then tools/check-dkms.sh (make install and dkms on this host, each loaded
# in a VM of each kernel, or of CHECK_DKMS_KVERS's; skipped without root,
# with SANITIZE=1 or with CHECK_TESTS; CHECK_DKMS=0 leaves it out).
#
# CHECK_JOBS: how many kernels' VMs run at once, each output line then
# tagged with its kernel.  Default: one per host CPU (nproc), so both
# kernels at once on a 2-core host: the suite is mostly a shell starting
# one process after another, which keeps about one host core busy per VM.
# The tests in QUIET_TESTS (the flood's and the bench smoke's throughput
# ratios, the scale tripwire's timings) then run afterwards, one kernel at
# a time.  CHECK_JOBS=1 runs everything one kernel after the other.
#
# CHECK_QUIET_LOCK: a file that another job on this host (CI's SANITIZE=1
# run) holds a flock on while it runs; the QUIET_TESTS wait for it.
#
# CHECK_CORE: kernels (versions or tools/vm-run prefixes, "6.1 6.12-rt")
# that run only the core subset (CORE_TESTS below) of what the others run;
# their summary lines say "[core]".  Default: none, every kernel runs
# everything.
#
# CHECK_QUIET_ONLY: kernels that run only the quiet phase (QUIET_TESTS,
# with CHECK_JOBS > 1), for CI, which runs their other tests under
# SANITIZE=1.
#
# CHECK_TESTS names the tests to run (default: the runner's list);
# CHECK_RUNNER overrides selftests/run.sh (for testing this script).

set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
REPO=$(pwd -P)
RUNNER=${CHECK_RUNNER:-selftests/run.sh}
read -r -a TESTS <<<"${CHECK_TESTS:-}"

say() { printf '==== check: %s\n' "$*"; }

# The kernel messages a run fails on: the runner's own list.
DMESG_BAD=$(sed -n "s/^STT_DMESG_BAD='\(.*\)'\$/\1/p" selftests/lib.sh)

# Tests that measure a throughput ratio and need the host to themselves:
# with CHECK_JOBS > 1 they run after the others, one kernel at a time
# (their logs: build/check/KVER-quiet.log).  Beside another VM the flood
# test's iperf3 lost more than half its throughput to the other guest,
# not to the flood.  The benchmark's tripwire compares STT with plain in
# the same way, and the scale tripwire times devices, netns and routes.
QUIET_TESTS=(stt_flood stt_bench_smoke stt_scale_smoke)

# The core subset: what a kernel named in CHECK_CORE runs (CI's choice for
# its older kernels, see .ci/run): the netlink API, a tunnel with traffic,
# every malformed-input class, transfers through loss and reordering,
# teardown under load, module unload, and Open vSwitch's type=stt.
CORE_TESTS=(stt_netlink stt_basic stt_crafted stt_faults stt_teardown stt_rmmod
	stt_ovs)

# in_list KVER LIST: KVER is one of LIST's (versions or vm-run prefixes
# such as 6.1 or 6.12-rt).
in_list()
{
	local c v

	for c in $2; do
		v=$(tools/vm-run --resolve "$c" 2>/dev/null) || continue
		[ "$v" = "$1" ] && return 0
	done
	return 1
}

# "tools/check.sh --quiet-tests" and "--core-tests" print those lists (for
# .ci/run) and exit.
if [ "${1:-}" = --quiet-tests ]; then
	echo "${QUIET_TESTS[*]}"
	exit 0
fi
if [ "${1:-}" = --core-tests ]; then
	echo "${CORE_TESTS[*]}"
	exit 0
fi

SANITIZE=${SANITIZE:-0}
case $SANITIZE in
0 | "") SANITIZE=0 ;;
1) ;;
*)
	say "SANITIZE=$SANITIZE: use 0 or 1"
	exit 2
	;;
esac

# sanitize_append KVER: the extra kernel command line for KVER.
sanitize_append()
{
	local opts="slub_debug=FZPU"

	if kfence_expected "$1"; then
		opts+=" kfence.sample_interval=1"
	fi
	echo "$opts"
}

# kfence_expected KVER: KFENCE must be on under SANITIZE=1 (6.12 always).
kfence_expected()
{
	[[ $1 == 6.12.* ]] || grep -qsx 'CONFIG_KFENCE=y' "/boot/config-$1" \
		"${STT_TRIXIE_ROOT:-/var/cache/stt-trixie}/boot/config-$1"
}

# sanitize_verify KVER LOG: the SANITIZE_PROBE lines of LOG say the
# sanitizers were on (verdict on stderr); otherwise print why on stdout
# and return 1.
sanitize_verify()
{
	local kver=$1 log=$2 slab kf why=""

	slab=$(grep -a '^# sanitize: kmalloc-64 ' "$log" | tail -n1)
	kf=$(sed -n 's/^# sanitize: kfence.sample_interval=\(.*\)$/\1/p' "$log" | tail -n1)
	if [ -z "$slab" ]; then
		why="no sanitize probe output"
	elif [[ $slab != *" sanity_checks=1 red_zone=1 poison=1 store_user=1"* ]]; then
		why="slub_debug not on in the guest: ${slab#\# sanitize: }"
	elif kfence_expected "$kver" && [ "$kf" != 1 ]; then
		why="KFENCE expected: kfence.sample_interval=${kf:-missing}, not 1"
	fi
	if [ -n "$why" ]; then
		say "$kver: FAILED: SANITIZE=1: $why" >&2
		echo "$why"
		return 1
	fi
	say "$kver: SANITIZE=1 verified: ${slab#\# sanitize: }, kfence.sample_interval=${kf:-none}" >&2
}

# What the guest really booted with, before the runner.
# shellcheck disable=SC2016 # expanded in the guest
SANITIZE_PROBE='echo "# sanitize: /proc/cmdline: $(cat /proc/cmdline)"
f=/sys/kernel/slab/kmalloc-64
echo "# sanitize: kmalloc-64 sanity_checks=$(cat $f/sanity_checks 2>/dev/null)" \
	"red_zone=$(cat $f/red_zone 2>/dev/null) poison=$(cat $f/poison 2>/dev/null)" \
	"store_user=$(cat $f/store_user 2>/dev/null)"
echo "# sanitize: kfence.sample_interval=$(cat /sys/module/kfence/parameters/sample_interval 2>/dev/null || echo none)"
exec "$@"'

# The Makefile's list (the newest of each series and flavour, trixie's
# kernels included, make debug-kernel's only when asked for).
if [ -z "${KVERS:-}" ]; then
	KVERS=$(make --no-print-directory -s print-kvers)
fi
read -r -a kvers <<<"${KVERS:-}"
if [ "${#kvers[@]}" = 0 ]; then
	say "no kernels to test: no /lib/modules/*/build (apt-get install linux-headers-amd64)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

mkdir -p build/check
touch build/check/.started
if [ "$SANITIZE" = 1 ]; then
	say "mode: SANITIZE=1 (slub_debug=FZPU; kfence.sample_interval=1 where the kernel has KFENCE)"
else
	say "mode: normal (SANITIZE=1 for slub_debug/KFENCE)"
fi
total_pass=0
total_fail=0
total_skip=0
summary=()
t_all=$SECONDS

mode_note=""
[ "$SANITIZE" = 1 ] && mode_note=" [SANITIZE=1]"

# The iproute2 plugin's own unit test runs on the host (no module needed):
# parse_opt against the netlink it must send, print_opt against the text
# and JSON it must print.  Part of a normal run, not of SANITIZE=1 or
# CHECK_TESTS runs.
if [ "$SANITIZE" = 0 ] && [ -z "${CHECK_RUNNER:-}" ] && [ ${#TESTS[@]} -eq 0 ]; then
	t0=$SECONDS
	say "plugin: make -C tools/iproute2 test"
	make --no-print-directory -C tools/iproute2 test 2>&1 | tee build/check/plugin.log
	result=$(grep -aE '^link_stt: [0-9]+ passed, [0-9]+ failed$' build/check/plugin.log | tail -n1)
	if [[ $result =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		total_pass=$((total_pass + BASH_REMATCH[1]))
		total_fail=$((total_fail + BASH_REMATCH[2]))
		summary+=("$(printf '%-28s %s (%d s)' "plugin (host)" "${result#link_stt: }" $((SECONDS - t0)))")
	else
		total_fail=$((total_fail + 1))
		summary+=("$(printf '%-28s FAILED: no result line' "plugin (host)")")
	fi
	# The documentation (tools/check-docs.py, also make check-docs):
	# relative links and anchors, the man page against the plugin's help.
	t0=$SECONDS
	say "docs: tools/check-docs.py"
	tools/check-docs.py 2>&1 | tee build/check/docs.log
	result=$(grep -aE '^check-docs: [0-9]+ passed, [0-9]+ failed$' build/check/docs.log | tail -n1)
	if [[ $result =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		total_pass=$((total_pass + BASH_REMATCH[1]))
		total_fail=$((total_fail + BASH_REMATCH[2]))
		summary+=("$(printf '%-28s %s (%d s)' "docs (host)" "${result#check-docs: }" $((SECONDS - t0)))")
	else
		total_fail=$((total_fail + 1))
		summary+=("$(printf '%-28s FAILED: no result line' "docs (host)")")
	fi
fi

# one_kernel N ARG: build stt.ko for kernel ARG and run the suite in its
# VM; the results go to $RESULTS/N (result_add / summary_add lines).
one_kernel()
{
	local n=$1 arg=$2 kver log png t0 rc dt result why p f s note append vm_timeout
	local run_args
	local res=$RESULTS/$1$LOG_TAG san_why=""

	result_add() { echo "R $1 $2 $3" >>"$res"; }
	skips_add() { sed "s|^|K $1: |" >>"$res"; }
	summary_add() { echo "S $1" >>"$res"; }
	: >"$res"
	t0=$SECONDS
	if ! kver=$(tools/vm-run --resolve "$arg" 2>&1); then
		say "[$n/${#kvers[@]}] $arg: $kver"
		result_add 0 1 0
		summary_add "$(printf '%-28s FAILED: no such kernel' "$arg")"
		return
	fi
	# A CHECK_CORE kernel runs the core tests of this phase's list, a
	# CHECK_QUIET_ONLY kernel only the quiet phase.
	local -a tests=("${RUN_TESTS[@]}")
	local core=""
	if in_list "$kver" "${CHECK_QUIET_ONLY:-}"; then
		if [ "$PHASE" = parallel ]; then
			say "[$n/${#kvers[@]}] $kver: CHECK_QUIET_ONLY: not in this phase"
			return
		fi
		[ ${#tests[@]} -gt 0 ] || [ "$PHASE" = quiet ] ||
			mapfile -t tests < <("$RUNNER" -l 2>/dev/null)
		local q all_q=("${tests[@]}")
		tests=()
		for q in "${all_q[@]}"; do
			[[ " ${QUIET_TESTS[*]} " == *" ${q%.sh} "* ]] && tests+=("$q")
		done
		if [ ${#tests[@]} -eq 0 ]; then
			say "[$n/${#kvers[@]}] $kver: CHECK_QUIET_ONLY, but no quiet test to run"
			result_add 0 1 0
			summary_add "$(printf '%-28s FAILED: CHECK_QUIET_ONLY and no quiet test to run' "$kver")"
			return
		fi
	fi
	if in_list "$kver" "${CHECK_CORE:-}"; then
		[ ${#tests[@]} -gt 0 ] || mapfile -t tests < <("$RUNNER" -l 2>/dev/null)
		local t all_tests=("${tests[@]}")
		tests=()
		for t in "${all_tests[@]}"; do
			[[ " ${CORE_TESTS[*]} " == *" ${t%.sh} "* ]] && tests+=("$t")
		done
		if [ ${#tests[@]} -eq 0 ]; then
			say "[$n/${#kvers[@]}] $kver: CHECK_CORE: no core test in this phase"
			return
		fi
		core=" [core]"
		say "[$n/${#kvers[@]}] $kver: CHECK_CORE: ${tests[*]}"
		for t in "${CORE_TESTS[@]}"; do
			"$RUNNER" -l 2>/dev/null | grep -qx "$t.sh" ||
				say "[$n/${#kvers[@]}] $kver: warning: core test $t is not in $RUNNER's list"
		done
	fi
	log=build/check/$kver
	[ "$SANITIZE" = 1 ] && log+=-sanitize
	png=$log-flood.png
	log+=$LOG_TAG.log

	say "[$n/${#kvers[@]}] $kver: building stt.ko"
	if ! make --no-print-directory KVER="$kver" modules; then
		say "$kver: build FAILED"
		result_add 0 1 0
		summary_add "$(printf '%-28s FAILED: stt.ko did not build' "$kver")"
		return
	fi

	say "[$n/${#kvers[@]}] $kver: running $RUNNER in a VM"
	if [ ! -x "$RUNNER" ]; then
		say "$kver: FAILED: $RUNNER is missing or not executable"
		result_add 0 1 0
		summary_add "$(printf '%-28s FAILED: no %s' "$kver" "$RUNNER")"
		return
	fi
	# make debug-kernel's kernel runs the suite 4 to 60 times slower under
	# TCG (KASAN, lockdep, kmemleak; stt_crafted's cases with a stream
	# alongside are the slowest): 5x the per-test timeout, 12 h in all.
	vm_timeout=${VM_TIMEOUT:-5000}
	run_args=()
	case $kver in
	*-stt-debug)
		vm_timeout=${VM_TIMEOUT:-43200}
		run_args=(-t "$((5 * $(sed -n 's/^timeout=//p' selftests/settings)))")
		;;
	esac
	if [ "$SANITIZE" = 1 ]; then
		append=$(sanitize_append "$kver")
		say "[$n/${#kvers[@]}] $kver: SANITIZE=1: kernel command line + $append"
		VM_APPEND="${VM_APPEND:+$VM_APPEND }$append" \
			VM_TIMEOUT=$vm_timeout \
			tools/vm-run "$kver" -- bash -c "$SANITIZE_PROBE" sanitize \
			"$RUNNER" -k "build/$kver/stt.ko" "${run_args[@]}" "${tests[@]}" 2>&1 | tee "$log"
	else
		VM_TIMEOUT=$vm_timeout \
			tools/vm-run "$kver" -- "$RUNNER" -k "build/$kver/stt.ko" "${run_args[@]}" "${tests[@]}" 2>&1 |
			tee "$log"
	fi
	rc=${PIPESTATUS[0]}
	dt=$((SECONDS - t0))
	if [ "$SANITIZE" = 1 ]; then
		san_why=$(sanitize_verify "$kver" "$log") || {
			result_add 0 1 0
			summary_add "$(printf '%-28s FAILED: SANITIZE=1 not in effect: %s' "$kver$LOG_TAG" "$san_why")"
		}
	fi
	grep -a '^# skipped point: ' "$log" | sed 's/^# skipped point: //' | skips_add "$kver"
	if grep -q 'flood-samples' "$log"; then
		tools/flood-plot.py "$log" "$png" ||
			say "$kver: no flood picture (tools/flood-plot.py failed)"
	fi

	result=$(grep -aE '^(# )?STT-RESULT pass=[0-9]+ fail=[0-9]+ skip=[0-9]+( skipped_points=[0-9]+)? *$' "$log" | tail -n1)
	if [ -z "$result" ]; then
		case $rc in
		124) why="VM timed out" ;;
		125) why="VM failed" ;;
		*) why="no STT-RESULT line (exit status $rc)" ;;
		esac
		say "$kver: FAILED: $why"
		result_add 0 1 0
		summary_add "$(printf '%-28s FAILED: %s (%d s)%s' "$kver" "$why" "$dt" "$mode_note")"
		return
	fi
	[[ $result =~ pass=([0-9]+)\ fail=([0-9]+)\ skip=([0-9]+) ]]
	p=${BASH_REMATCH[1]}
	f=${BASH_REMATCH[2]}
	s=${BASH_REMATCH[3]}
	note=""
	# What the kernel said on the console after the runner's result
	# (module unload, poweroff): the runner's own dmesg checks are over.
	late=$(sed -n '/STT-RESULT pass=/,$p' "$log" |
		sed -n 's/^\(\[[^]]*\] \)\?\[console\] //p' | grep -E "$DMESG_BAD")
	if [ -n "$late" ]; then
		say "$kver: FAILED: kernel report on the console after the suite:"
		printf '%s\n' "$late" | head -20 | sed 's/^/    /'
		f=$((f + 1))
		note=" (late console report)"
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		# The runner reported no failure but didn't exit 0: a crash at the
		# end, a VM timeout after the result, ...  Don't call that a pass.
		f=1
		note=" (exit status $rc)"
	fi
	result_add "$p" "$f" "$s"
	summary_add "$(printf '%-28s pass=%d fail=%d skip=%d%s (%d s)%s%s' "$kver$LOG_TAG" "$p" "$f" "$s" "$note" "$dt" "$mode_note" "$core")"
}

# failure_digest LOG: each failed test of a run.sh log, with the "not ok"
# points it printed, each with the diagnostics around it (up to three
# "# # " lines before it, since the last point, and two after), at most
# 40 lines a log.
failure_digest()
{
	awk -v name="$(basename "$1" .log)" '
		function keep(line) { buf = buf "      " line "\n" }
		/^# (# )?not ok / {
			for (i = np > 3 ? np - 3 : 0; i < np; i++)
				keep(pend[i])
			keep($0); np = 0; after = 2; next
		}
		/^# (# )?ok / { np = 0; after = 0; next }
		/^# # / {
			if (after > 0) { keep($0); after--; next }
			pend[np++] = $0; next
		}
		/^ok [0-9]+ / { buf = ""; np = 0; after = 0; next }
		/^not ok [0-9]+ / { printf "  %s: %s\n%s", name, $0, buf; buf = ""; after = 0 }
		/^(==== check-dkms: )?FAIL: / { printf "  %s: %s\n", name, $0 }
	' "$1" | head -n 40
}

RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/stt-check.XXXXXX") || exit 2
trap 'rm -rf "$RESULTS"' EXIT
JOBS=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 1)}
LOG_TAG=""
RUN_TESTS=("${TESTS[@]}")
# parallel: the VMs side by side; quiet: the quiet tests alone; all: one
# kernel after the other, everything.
PHASE=all
if [ "$JOBS" -gt 1 ] && [ "${#kvers[@]}" -gt 1 ]; then
	all=("${TESTS[@]}")
	[ ${#all[@]} -gt 0 ] || mapfile -t all < <("$RUNNER" -l 2>/dev/null)
	par=()
	quiet=()
	for t in "${all[@]}"; do
		if [[ " ${QUIET_TESTS[*]} " == *" ${t%.sh} "* ]]; then
			quiet+=("$t")
		else
			par+=("$t")
		fi
	done
	# The VMs side by side, each line of output tagged with its kernel
	# (build/check/KVER.log has it untagged).
	if [ ${#par[@]} -gt 0 ] || [ ${#all[@]} -eq 0 ]; then
		PHASE=parallel
		say "CHECK_JOBS=$JOBS: up to $JOBS of the ${#kvers[@]} kernels at once${par:+: ${par[*]}}"
		RUN_TESTS=("${par[@]}")
		running=0
		for i in "${!kvers[@]}"; do
			if [ "$running" -ge "$JOBS" ]; then
				wait -n
				running=$((running - 1))
			fi
			one_kernel $((i + 1)) "${kvers[i]}" 2>&1 |
				sed -u "s|^|[${kvers[i]}] |" &
			running=$((running + 1))
		done
		wait
	fi
	# (A CHECK_QUIET_ONLY kernel with no quiet test fails here.)
	if [ ${#quiet[@]} -gt 0 ] || [ -n "${CHECK_QUIET_ONLY:-}" ]; then
		PHASE=quiet
		if [ -n "${CHECK_QUIET_LOCK:-}" ]; then
			say "waiting for $CHECK_QUIET_LOCK (another job on this host)"
			flock "$CHECK_QUIET_LOCK" true
		fi
		say "one kernel at a time, alone on the host: ${quiet[*]}"
		RUN_TESTS=("${quiet[@]}")
		LOG_TAG=-quiet
		for i in "${!kvers[@]}"; do
			[ ${#quiet[@]} -gt 0 ] || in_list "${kvers[i]}" "$CHECK_QUIET_ONLY" ||
				continue
			one_kernel $((i + 1)) "${kvers[i]}"
		done
	fi
else
	for i in "${!kvers[@]}"; do
		one_kernel $((i + 1)) "${kvers[i]}"
	done
fi
skipped=()
for r in "$RESULTS"/*; do
	[ -f "$r" ] || continue
	while read -r tag rest; do
		case $tag in
		R)
			read -r p f s <<<"$rest"
			total_pass=$((total_pass + p))
			total_fail=$((total_fail + f))
			total_skip=$((total_skip + s))
			;;
		S) summary+=("$rest") ;;
		K) skipped+=("$rest") ;;
		esac
	done <"$r"
done

# make install and dkms on this host, loaded in a VM of each kernel (under
# a minute per kernel).  Needs root and dkms.  Not part of a SANITIZE=1 or
# CHECK_TESTS run; CHECK_DKMS=0 leaves it out.
# Not for make debug-kernel's kernel, which is nobody's install target.
read -r -a dkms_list <<<"${CHECK_DKMS_KVERS:-${kvers[*]}}"
dkms_kvers=$(printf '%s\n' "${dkms_list[@]}" |
	grep -v -e '-stt-debug$' -e '^debug$' | paste -sd' ')
if [ "${CHECK_DKMS:-1}" = 1 ] && [ -z "${CHECK_RUNNER:-}" ] && [ -n "$dkms_kvers" ] &&
	[ "$SANITIZE" = 0 ] && [ ${#TESTS[@]} -eq 0 ]; then
	t0=$SECONDS
	say "install: make install and dkms, tools/check-dkms.sh"
	KVERS="$dkms_kvers" tools/check-dkms.sh 2>&1 | tee build/check/install.log
	result=$(grep -aE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' \
		build/check/install.log | tail -n1)
	if [[ $result =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
		total_pass=$((total_pass + BASH_REMATCH[1]))
		total_fail=$((total_fail + BASH_REMATCH[2]))
		total_skip=$((total_skip + BASH_REMATCH[3]))
		summary+=("$(printf '%-28s %s (%d s)' "install (dkms)" "$result" $((SECONDS - t0)))")
		# Its skips are stt_install.sh's points in each kernel's guest.
		for ilog in build/check/install-*.log; do
			{ [ -f "$ilog" ] && [ ! "$ilog" -ot build/check/.started ]; } || continue
			ik=$(basename "$ilog" .log)
			while read -r line; do
				skipped+=("install ${ik#install-}: stt_install.sh: ${line#ok * }")
			done < <(grep -aE '^ok [0-9]+ .*# SKIP' "$ilog")
		done
	else
		total_fail=$((total_fail + 1))
		summary+=("$(printf '%-28s FAILED: no result line' "install (dkms)")")
	fi
fi

echo
say "summary ($((SECONDS - t_all)) s; logs in $REPO/build/check/; mode: $([ "$SANITIZE" = 1 ] && echo SANITIZE=1 || echo normal))"
for line in "${summary[@]}"; do
	printf '  %s\n' "$line"
done
# Which tests failed, and the failing points inside them, so that the tail
# of a CI log says what broke without the per-kernel logs.
if [ "$total_fail" != 0 ]; then
	say "failures:"
	for log in build/check/*.log; do
		if [ -f "$log" ] && [ ! "$log" -ot build/check/.started ]; then
			failure_digest "$log"
		fi
	done
fi
say "skipped points: ${#skipped[@]}"
for line in "${skipped[@]}"; do
	say "skipped point: $line"
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped, ${#skipped[@]} skipped points"
[ "$total_fail" = 0 ]
