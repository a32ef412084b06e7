# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by tools/bench/bench.sh and scale.sh (which define say()):
# bench_kernels resolves KVERS (default: make print-kvers, as make check; a
# tools/vm-run prefix such as 6.12 works) and builds stt.ko for each
# (make KVER=... modules), then the plugin and the tools, so that a build
# error shows before any VM.  The full versions go into the array KFULL.
# Returns 1 (having said why) on any failure.
#
# bench_guest runs one guest script in one kernel's VM.

bench_kernels()
{
	local k f kvers

	# The kernels make check runs on (make print-kvers): the newest of
	# each series and flavour, 7.x's from the trixie tree included, the
	# debug kernel left out.
	[ -n "${KVERS:-}" ] || KVERS=$(make --no-print-directory -s print-kvers)
	read -r -a kvers <<<"${KVERS:-}"
	[ "${#kvers[@]}" -gt 0 ] || {
		say "no kernels: no /lib/modules/*/build (apt-get install linux-headers-amd64)"
		return 1
	}
	KFULL=()
	for k in "${kvers[@]}"; do
		f=$(tools/vm-run --resolve "$k") || { say "no bootable kernel matches $k"; return 1; }
		make --no-print-directory KVER="$f" modules >/dev/null || {
			say "building stt.ko for $f failed: make KVER=$f modules"
			return 1
		}
		KFULL+=("$f")
	done
	make --no-print-directory plugin tools >/dev/null || { say "make plugin tools failed"; return 1; }
	command -v gnuplot >/dev/null ||
		say "warning: gnuplot not installed (apt-get install gnuplot-nox): tables only, no charts"
	return 0
}

# bench_guest KVER GUEST TAG LOG COPY: boot KVER with tools/vm-run and run
# GUEST there with build/KVER/stt.ko; its output goes to LOG and then to
# COPY, and to the terminal without its TAG-CMD/RESULT/STT/META lines.
# Fails unless the VM exited 0 and GUEST printed TAG-DONE.
bench_guest()
{
	local f=$1 guest=$2 tag=$3 log=$4 copy=$5 t0=$SECONDS vmrc

	mkdir -p "$(dirname "$log")" "$(dirname "$copy")"
	STT_KO=build/$f/stt.ko tools/vm-run "$f" -- "$guest" 2>&1 |
		tee "$log" | grep --line-buffered -vE "^$tag-(CMD|RESULT|STT|META)"
	vmrc=${PIPESTATUS[0]}
	say "$f: VM finished with status $vmrc after $((SECONDS - t0)) s"
	cp "$log" "$copy"
	grep -q "^$tag-DONE" "$log" || { say "$f: the run did not finish"; return 1; }
	[ "$vmrc" = 0 ]
}
