#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-scale: issue 18's scale targets, each against its own
# small-scale baseline in one VM run.
#
#   KVERS=6.12 tools/bench/scale.sh
#
# Per kernel (KVERS as for make bench: default make check's kernels,
# prefixes such as 6.12 work): builds stt.ko, boots it with tools/vm-run,
# runs tools/bench/scale-guest.sh there (progress shows as it goes), keeps
# the VM's output in bench-results/KVER/scale-vm-output.log and turns it
# into bench-results/KVER/scale.md, scale.csv and scale-*.png
# (tools/bench/scale-report.py).
#
# Environment (defaults: issue 18's sizes; shrink them for development):
#   SCALE_DEVS    stt (and geneve) devices in one netns (1000)
#   SCALE_BLOCK   devices per timed block (100)
#   SCALE_NETNS   netns per churn round (100)
#   SCALE_ROUTES  lwtunnel routes on one external device (10000)
#   SCALE_FLOOD   first segments per flood (100000)
#   SCALE_PARTS   "devs churn routes flood"
#   BENCH_SECS    seconds per iperf3 run (5)
#   BENCH_ROUNDS  rounds (3)
#   BENCH_OUT     results directory (bench-results)
#   VM_TIMEOUT    the VM's limit (3600 s)
# Exit status: 0 when every kernel's run finished and produced a report
# (whether the targets were met is in the report).

set -u

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
OUT=${BENCH_OUT:-bench-results}

say() { printf 'bench-scale: %s\n' "$*"; }

# shellcheck source=SCRIPTDIR/kernels.sh
source tools/bench/kernels.sh
bench_kernels || exit 1

export SCALE_DEVS=${SCALE_DEVS:-1000} SCALE_BLOCK=${SCALE_BLOCK:-100}
export SCALE_NETNS=${SCALE_NETNS:-100} SCALE_ROUTES=${SCALE_ROUTES:-10000}
export SCALE_FLOOD=${SCALE_FLOOD:-100000} SCALE_PARTS=${SCALE_PARTS:-devs churn routes flood}
export BENCH_SECS=${BENCH_SECS:-5} BENCH_ROUNDS=${BENCH_ROUNDS:-3}
export VM_ENV="${VM_ENV:-} SCALE_DEVS SCALE_BLOCK SCALE_NETNS SCALE_ROUTES SCALE_FLOOD SCALE_PARTS BENCH_SECS BENCH_ROUNDS"
export VM_TIMEOUT=${VM_TIMEOUT:-3600}
envs="SCALE_DEVS=$SCALE_DEVS SCALE_BLOCK=$SCALE_BLOCK SCALE_NETNS=$SCALE_NETNS SCALE_ROUTES=$SCALE_ROUTES SCALE_FLOOD=$SCALE_FLOOD SCALE_PARTS='$SCALE_PARTS' BENCH_SECS=$BENCH_SECS BENCH_ROUNDS=$BENCH_ROUNDS"
say "${#KFULL[@]} kernel(s): ${KFULL[*]}; $envs"
say "expected duration under TCG: about 15 min per kernel at the default sizes"

rc=0
t_all=$SECONDS
for f in "${KFULL[@]}"; do
	dir=$OUT/$f
	log=build/bench/$f-scale.log
	vmcmd="tools/vm-run $f -- tools/bench/scale-guest.sh"
	say "$f: STT_KO=build/$f/stt.ko $envs $vmcmd"
	bench_guest "$f" tools/bench/scale-guest.sh SCALE "$log" "$dir/scale-vm-output.log" ||
		rc=1
	if /usr/bin/python3 tools/bench/scale-report.py "$log" "$dir" \
		"KVERS=$f make bench-scale    # = STT_KO=build/$f/stt.ko $envs $vmcmd" >/dev/null; then
		say "$f: wrote $dir/scale.md, scale.csv$(cd "$dir" && for p in scale-*.png; do [ -e "$p" ] && printf ', %s' "$p"; done)"
		sed -n '/^## Targets/,/^## /p' "$dir/scale.md" | sed '$d'
	else
		say "$f: no report"
		rc=1
	fi
done
say "done after $(((SECONDS - t_all) / 60)) min $(((SECONDS - t_all) % 60)) s"
exit "$rc"
