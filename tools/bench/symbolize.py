#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn gdbprof.py samples into a flat profile.

    symbolize.py --log VM_LOG [--top 25] [--callers SYM,...] KIND=SAMPLES...

VM_LOG holds profile-guest.sh's PROFILE-KSYM lines: the guest's
/proc/kallsyms text symbols, kernel and modules (stt.ko's show as
"stt:NAME").  Idle and user space are counted apart; the function
percentages are of the busy (non-idle) samples, kernel and user.

--callers: for the samples in each SYM (gdbprof.py --stack samples only),
the most common chains of the first CHAIN (3) distinct functions found on
the stack above it: a rough caller profile (stale stack words included).
"""

import argparse
import bisect
import collections

IDLE = {"pv_native_safe_halt", "native_safe_halt", "default_idle",
        "default_idle_call", "cpu_idle_poll", "arch_cpu_idle", "do_idle",
        "acpi_idle_do_entry", "mwait_idle"}


def symbols(log):
    syms = []
    with open(log, errors="replace") as f:
        for line in f:
            i = line.find("PROFILE-KSYM ")
            if i < 0:
                continue
            parts = line[i:].split()
            if len(parts) < 3:
                continue
            name = parts[2]
            if len(parts) > 3 and parts[3].startswith("["):
                name = "%s:%s" % (parts[3].strip("[]"), name)
            syms.append((int(parts[1], 16), name))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--callers", default="",
                    help="comma-separated functions to show callers of")
    ap.add_argument("--chain", type=int, default=3)
    ap.add_argument("runs", nargs="+", help="KIND=SAMPLES")
    args = ap.parse_args()

    addrs, names = symbols(args.log)
    if not addrs:
        raise SystemExit("symbolize: no PROFILE-KSYM lines in %s" % args.log)

    def name(pc):
        if pc < 1 << 63:
            return "[user]"
        i = bisect.bisect_right(addrs, pc) - 1
        return names[i] if i >= 0 else "[unknown]"

    for run in args.runs:
        kind, path = run.split("=", 1)
        counts = collections.Counter()
        callers = {c: collections.Counter() for c in args.callers.split(",") if c}
        with open(path) as f:
            for line in f:
                words = line.split()
                sym = name(int(words[1], 16))
                counts[sym] += 1
                if sym not in callers:
                    continue
                chain = []
                for w in words[2:]:
                    s = name(int(w, 16))
                    if s != sym and s not in chain and s != "[unknown]":
                        chain.append(s)
                    if len(chain) == args.chain:
                        break
                callers[sym][" < ".join(chain) or "(no stack)"] += 1
        total = sum(counts.values())
        idle = sum(n for s, n in counts.items() if s in IDLE)
        busy = total - idle
        user = counts.get("[user]", 0)
        stt = sum(n for s, n in counts.items() if s.startswith("stt:"))
        print("%s: %d samples, idle %.0f%%; of the busy ones: user %.1f%%, "
              "stt.ko %.1f%%" % (kind, total, 100.0 * idle / max(total, 1),
                                100.0 * user / max(busy, 1),
                                100.0 * stt / max(busy, 1)))
        shown = 0
        for sym, n in counts.most_common():
            if sym in IDLE:
                continue
            print("  %5.1f%%  %6d  %s" % (100.0 * n / max(busy, 1), n, sym))
            shown += 1
            if shown >= args.top:
                break
        for sym, chains in callers.items():
            n = sum(chains.values())
            if not n:
                continue
            print("  callers of %s (%d samples; first %d functions on the stack):"
                  % (sym, n, args.chain))
            for chain, k in chains.most_common(args.top):
                print("  %5.1f%%  %6d  %s" % (100.0 * k / n, k, chain))


if __name__ == "__main__":
    main()
