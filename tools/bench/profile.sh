#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where the time goes, plain TCP against TCP through stt (make profile):
#
#   tools/bench/profile.sh [KVER]     (default: the newest 6.12)
#
# Boots KVER without KASLR and with QEMU's gdbstub, runs
# tools/bench/profile-guest.sh in it, samples every vCPU's RIP from the
# host while each kind's iperf3 runs (tools/bench/gdbprof.py), and prints
# a flat profile of each kind against the guest's kallsyms
# (tools/bench/symbolize.py).  PROF_PROFILE (nic-tso), PROF_SECS (8),
# PROF_TOP (25); PROF_STACK (32) stack words read per sample and
# PROF_CALLERS (native_queued_spin_lock_slowpath) the functions whose
# callers are listed ("" for none).  Results:
# build/profile/KVER-PROFILE.{log,txt}.

set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
KVER=$(tools/vm-run --resolve "${1:-6.12}") || exit 2
PROFILE=${PROF_PROFILE:-nic-tso}
SECS=${PROF_SECS:-8}
OUT=build/profile/$KVER-$PROFILE
mkdir -p build/profile
make --no-print-directory KVER="$KVER" modules >/dev/null || exit 1
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "profile: $KVER, profile $PROFILE, ${SECS} s sampled per kind, gdbstub on port $PORT"
rm -f "$OUT".log "$OUT"-*.samples
tools/bench/gdbprof.py --port "$PORT" --log "$OUT.log" --prefix "$OUT" \
	--stack "${PROF_STACK:-32}" &
gpid=$!
VM_APPEND="nokaslr" VM_QEMU_ARGS="-gdb tcp:127.0.0.1:$PORT" VM_ENV="PROF_PROFILE PROF_SECS" \
	PROF_PROFILE=$PROFILE PROF_SECS=$SECS \
	tools/vm-run "$KVER" -- tools/bench/profile-guest.sh -k "build/$KVER/stt.ko" 2>&1 |
	tee "$OUT.log" | grep -av PROFILE-KSYM
wait "$gpid"
runs=()
for f in "$OUT"-*.samples; do
	[ -s "$f" ] || continue
	kind=${f#"$OUT"-}
	runs+=("${kind%.samples}=$f")
done
[ ${#runs[@]} -gt 0 ] || { echo "profile: nothing sampled"; exit 1; }
tools/bench/symbolize.py --log "$OUT.log" --top "${PROF_TOP:-25}" \
	--callers "${PROF_CALLERS-native_queued_spin_lock_slowpath}" "${runs[@]}" | tee "$OUT.txt"
