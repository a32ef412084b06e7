#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Draw the reassembly flood (selftests/stt_flood.sh) from a make check log.

    tools/flood-plot.py build/check/KVER.log OUT.png

The flood test prints one line per phase:
    flood-samples NAME high=BYTES low=BYTES T:BYTES T:BYTES ...
(reasm_bytes of the receiving netns, sampled every 50 ms).  One panel per
phase: memory held against time, with the high and low thresholds.
Exits 1 when the log has no samples, 2 when matplotlib is missing.
"""
import re
import sys


def parse(path):
    phases = []
    pat = re.compile(r"flood-samples (\S+) high=(\d+) low=(\d+)(.*)$")
    kver = None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"# kernel (\S+),", line)
            if m and not kver:
                kver = m.group(1)
            m = pat.search(line)
            if not m:
                continue
            pts = []
            for tok in m.group(4).split():
                t, _, v = tok.partition(":")
                try:
                    pts.append((float(t), int(v)))
                except ValueError:
                    pass
            phases.append((m.group(1), int(m.group(2)), int(m.group(3)), pts))
    return kver, phases


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    kver, phases = parse(argv[1])
    if not phases:
        print("flood-plot: no flood-samples lines in %s" % argv[1],
              file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("flood-plot: python3-matplotlib is not installed",
              file=sys.stderr)
        return 2

    fig, axes = plt.subplots(1, len(phases), figsize=(5.5 * len(phases), 4),
                             squeeze=False)
    mib = 1 << 20
    for ax, (name, high, low, pts) in zip(axes[0], phases):
        ts = [t for t, _ in pts]
        vs = [v / mib for _, v in pts]
        ax.plot(ts, vs, lw=1.2, color="tab:blue", label="reasm_bytes held")
        ax.axhline(high / mib, color="tab:red", ls="--",
                   label="reasm_high_thresh %.0f MiB" % (high / mib))
        ax.axhline(low / mib, color="tab:orange", ls=":",
                   label="reasm_low_thresh %.0f MiB" % (low / mib))
        peak = max(vs) if vs else 0
        ax.set_title("%s thresholds: peak %.2f MiB" % (name, peak))
        ax.set_xlabel("seconds (50 ms samples)")
        ax.set_ylabel("MiB (truesize)")
        ax.set_ylim(0, max(high / mib, peak) * 1.15)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
    fig.suptitle("STT reassembly under a first-segment flood (stt_flood.sh, %s)"
                 % (kver or "?"))
    fig.tight_layout()
    fig.savefig(argv[2], dpi=90)
    print("flood-plot: wrote %s (%d phases)" % (argv[2], len(phases)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
