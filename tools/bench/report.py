#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the VM's stdout from tools/bench/bench-guest.sh into a report.

    report.py RAW_LOG OUTDIR [COMMAND_LINE]

Writes OUTDIR/results.md (tables, issue 6's targets, kernel, commands),
OUTDIR/results.csv (one row per profile, workload and kind: median, spread,
ratios), OUTDIR/measurements.csv (every single measurement) and
OUTDIR/<profile>.png (with gnuplot, if installed).  Prints the markdown.
"""

import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

DEFAULT_KINDS = ["plain", "stt", "vxlan", "geneve", "gretap"]
# make bench-ovs: the Nicira table's Open vSwitch tunnels, in two profiles.
OVS_TUNNELS = ["ovs-geneve", "ovs-vxlan", "ovs-gre"]   # "the best OVS tunnel"
OVS_RUN_KINDS = ["plain", "stt", "ovs-stt"] + OVS_TUNNELS
OVS_RUN_PROFILES = ["nic-tso", "wire"]
OVS_RUN_WORKLOADS = ["tcp1", "tcp4"]
# make bench-jumbo: inner MTU 9000 and 65000 over the same 1500-byte underlay.
JUMBO_KINDS = ["stt9k", "stt64k", "vxlan9k"]
JUMBO_RUN_KINDS = ["plain", "stt", "vxlan"] + JUMBO_KINDS
JUMBO_RUN_PROFILES = ["nic-tso", "wire", "wire-loss"]
JUMBO_RUN_WORKLOADS = ["tcp1", "udp64"]
# make bench-streams: 128 parallel TCP streams against 4 where every frame
# is reassembled (issue 18).
STREAMS_RUN_KINDS = ["plain", "stt"]
STREAMS_RUN_PROFILES = ["wire-nogro"]
STREAMS_RUN_WORKLOADS = ["tcp4", "tcp128"]
INNER_MTU = {"stt": 1500, "stt9k": 9000, "stt64k": 65000, "vxlan": 1450, "vxlan9k": 9000}
# "routed" (plain TCP through a router netns) is an optional control.
KIND_ORDER = (["plain", "routed", "stt", "stt9k", "stt64k", "vxlan", "vxlan9k", "geneve",
               "gretap", "ovs-stt"] + OVS_TUNNELS)
TUNNELS = ["vxlan", "geneve", "gretap"]      # "the best kernel tunnel"
ISSUE6_WORKLOADS = ["tcp1", "tcp4", "udp64", "rr"]
WORKLOAD_ORDER = ["tcp1", "tcp4", "tcp128", "udp64", "rr"]
ISSUE6_PROFILES = ["nic-tso", "wire", "wire-nogro", "none"]
PROFILE_ORDER = ISSUE6_PROFILES + ["wire-loss"]
WORKLOAD_NAME = {
    "tcp1": "TCP, 1 stream",
    "tcp4": "TCP, 4 streams",
    "tcp128": "TCP, 128 streams",
    "udp64": "UDP 64-byte",
    "rr": "TCP_RR",
}
COLORS = {"plain": "#777777", "routed": "#bbbbbb", "stt": "#d62728", "vxlan": "#1f77b4",
          "geneve": "#2ca02c", "gretap": "#ff7f0e", "ovs-stt": "#8c1c13",
          "ovs-geneve": "#17581a", "ovs-vxlan": "#0d3d66", "ovs-gre": "#a65200",
          "stt9k": "#ff6f61", "stt64k": "#9e1b32", "vxlan9k": "#6baed6"}
# Nicira's 2012 table (../shared/spec/003: one flow between two VMs, 10G
# NICs with TSO, 1500-byte MTU): Gbit/s, and as a ratio to the OVS bridge.
NICIRA = [("OVS bridge (no tunnel)", 9.4), ("OVS-STT", 9.5), ("OVS-GRE", 2.3)]


def kv(line):
    out = {}
    for word in line.split():
        if "=" in word:
            k, v = word.split("=", 1)
            out[k] = v
    return out


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def ordered(items, order):
    return [x for x in order if x in items] + sorted(x for x in items if x not in order)


def parse(path, prefix="BENCH"):
    """The tagged lines of a guest's output: PREFIX-META key=value,
    PREFIX-CMD, PREFIX-RESULT, PREFIX-STT (BENCH only), PREFIX-WARN and
    -FATAL, PREFIX-DONE."""
    meta, cmds, results, stt, warns = {}, [], [], [], []
    done = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            # vm-run may prefix nothing; the guest's lines start with the tag.
            tag, _, rest = line.partition(" ")
            kind = tag[len(prefix) + 1:] if tag.startswith(prefix + "-") else None
            if kind == "META":
                k, _, v = rest.partition("=")
                meta[k] = v
            elif kind == "CMD":
                cmds.append(rest)
            elif kind == "RESULT":
                results.append(kv(rest))
            elif kind == "STT":
                stt.append(kv(rest))
            elif kind in ("WARN", "FATAL"):
                warns.append(line)
            elif kind == "DONE":
                done = kv(rest)
    return meta, cmds, results, stt, warns, done


class Cell:
    """All rounds of one (profile, workload, kind)."""

    def __init__(self):
        self.values, self.cpu, self.unit, self.failed = [], [], "", 0
        self.by_round = {}
        self.retransmits = []

    @property
    def retrans(self):
        """The median of iperf3's retransmits (TCP runs)."""
        return statistics.median(self.retransmits) if self.retransmits else None

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    @property
    def cpu_median(self):
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def spread(self):
        """(max - min) / median, in percent."""
        m = self.median
        if not m or len(self.values) < 2:
            return None
        return 100.0 * (max(self.values) - min(self.values)) / m


def ratio(a, b):
    if a is None or not b:
        return None
    return a / b


def fmt(x, nd=2):
    return "—" if x is None else "%.*f" % (nd, x)


def fmt_value(x):
    if x is None:
        return "—"
    return "%.3f" % x if x < 10 else "%.1f" % x


def build(results):
    cells = {}
    for r in results:
        key = (r.get("profile"), r.get("workload"), r.get("kind"))
        c = cells.setdefault(key, Cell())
        v = num(r.get("value"))
        if r.get("failed") == "1" or v is None:
            c.failed += 1
            continue
        c.values.append(v)
        c.by_round[r.get("round")] = v
        if num(r.get("retransmits")) is not None:
            c.retransmits.append(num(r.get("retransmits")))
        c.unit = r.get("unit", "")
        # CPU per GB; for TCP_RR, CPU microseconds per transaction.
        g = num(r.get("cpu_s_per_gb", "") or r.get("cpu_us_per_tx"))
        if g is not None:
            c.cpu.append(g)
    return cells


def best_tunnel(cells, p, w, cpu=False, pool=None):
    """(kind, value) of the best kernel tunnel (or of POOL's kinds): highest
    median, or the lowest CPU per GB."""
    best = None
    for k in pool or TUNNELS:
        c = cells.get((p, w, k))
        v = c and (c.cpu_median if cpu else c.median)
        if v is None:
            continue
        if best is None or (v < best[1] if cpu else v > best[1]):
            best = (k, v)
    return best


def summary_rows(cells, profiles, workloads, kinds):
    rows = []
    for p in profiles:
        for w in workloads:
            plain = cells.get((p, w, "plain"))
            for k in kinds:
                c = cells.get((p, w, k))
                if c is None:
                    continue
                # OVS kinds against the best OVS tunnel, the rest against
                # the best kernel tunnel.
                pool = OVS_TUNNELS if k.startswith("ovs-") else TUNNELS
                bt = best_tunnel(cells, p, w, pool=pool)
                btc = best_tunnel(cells, p, w, cpu=True, pool=pool)
                rows.append({
                    "profile": p, "workload": w, "kind": k, "unit": c.unit,
                    "n": len(c.values), "failed": c.failed,
                    "median": c.median,
                    "min": min(c.values) if c.values else None,
                    "max": max(c.values) if c.values else None,
                    "spread_pct": c.spread,
                    "x_plain": ratio(c.median, plain and plain.median),
                    "best_tunnel": bt[0] if bt else "",
                    "x_best_tunnel": ratio(c.median, bt[1] if bt else None),
                    "cpu_s_per_gb": c.cpu_median,
                    "cpu_x_plain": ratio(c.cpu_median, plain and plain.cpu_median),
                    "cpu_x_best_tunnel": ratio(c.cpu_median, btc[1] if btc else None),
                })
    return rows


def targets(cells):
    """Issue 6's targets: (what, measured, goal, met) with met None when the
    run lacks the cells."""

    def med(p, w, k):
        c = cells.get((p, w, k))
        return c.median if c else None

    def cpu(p, w, k):
        c = cells.get((p, w, k))
        return c.cpu_median if c else None

    def rounds(p, w, k, base):
        """STT/base within each round (runs next to each other in time)."""
        a, b = cells.get((p, w, k)), cells.get((p, w, base))
        if not a or not b:
            return ""
        rs = [a.by_round[n] / b.by_round[n] for n in sorted(a.by_round, key=int)
              if b.by_round.get(n)]
        return " (per round: %s)" % ", ".join("%.2f" % x for x in rs) if len(rs) > 1 else ""

    out = []
    for p in ("nic-tso", "wire", "wire-nogro"):
        r = ratio(med(p, "tcp1", "stt"), med(p, "tcp1", "plain"))
        out.append(("`%s`, 1 stream: STT ≥ 0.9× plain" % p, r, 0.9, ">=",
                    rounds(p, "tcp1", "stt", "plain")))
    r = ratio(med("wire-nogro", "tcp1", "stt"), med("wire-nogro", "tcp1", "plain"))
    out.append(("`wire-nogro`, 1 stream: STT > 1.0× plain (stretch)", r, 1.0, ">", ""))
    r = ratio(med("nic-tso", "tcp1", "stt"), (best_tunnel(cells, "nic-tso", "tcp1") or (0, None))[1])
    out.append(("`nic-tso`, 1 stream: STT ≈ 4× the best tunnel (follows from 0.9× plain)", r, 4.0, ">=", ""))
    r = ratio(med("none", "tcp1", "stt"), med("none", "tcp1", "vxlan"))
    out.append(("`none`, 1 stream: STT ≥ 1.0× vxlan", r, 1.0, ">=",
                rounds("none", "tcp1", "stt", "vxlan")))
    for p in ("wire", "wire-nogro"):
        r = ratio(cpu(p, "tcp1", "stt"), cpu(p, "tcp1", "plain"))
        out.append(("`%s`, 1 stream: STT CPU/GB ≤ 1.1× plain" % p, r, 1.1, "<=", ""))
    for p in ISSUE6_PROFILES:
        r = ratio(med(p, "udp64", "stt"), med(p, "udp64", "vxlan"))
        out.append(("`%s`, 64-byte UDP pps: STT ≥ 0.9× vxlan" % p, r, 0.9, ">=",
                    rounds(p, "udp64", "stt", "vxlan")))
    res = []
    for what, r, goal, op, per_round in out:
        if r is None:
            met = None
        elif op == ">=":
            met = r >= goal
        elif op == ">":
            met = r > goal
        else:
            met = r <= goal
        res.append((what, r, met, per_round))
    return res


def stt_rx(stt):
    """Per (profile, kind): how STT frames reached B's stt device in tcp1
    runs."""
    agg = {}
    for s in stt:
        if s.get("workload") != "tcp1":
            continue
        a = agg.setdefault((s.get("profile"), s.get("kind", "stt")), {})
        for k, v in s.items():
            if k in ("round", "profile", "workload", "kind"):
                continue
            a[k] = a.get(k, 0) + (num(v) or 0)
    return agg


def rx_line(a):
    """One sentence from stt_rx()'s counters, or None."""
    fr = a.get("rx_frames") if a else None
    if not fr:
        return None
    return ("%d frames, %.0f%% whole in one skb (TSO skb forwarded whole, or GRO-merged), "
            "%.0f%% reassembled from segments; %.1f skbs per frame; %d segments on the "
            "wire (veth_a tx)" % (
                fr, 100 * a.get("rx_fastpath_frames", 0) / fr,
                100 * a.get("rx_reasm_frames", 0) / fr,
                a.get("rx_skbs", 0) / fr, a.get("wire_segments", 0)))


def jumbo_table(cells, profiles, agg):
    """Jumbo inner frames against plain at 1500: TCP and 64-byte UDP."""
    md = ["## Jumbo inner frames over a 1500-byte underlay\n"]
    md.append("Inner MTU: stt 1500, stt9k 9000, stt64k 65000 (STT segments each frame "
              "to the path), vxlan 1450, vxlan9k 9000 (IP-fragmented by the kernel). "
              "`×plain` divides by plain veth at MTU 1500 in the same profile.\n")
    md.append("| profile | kind | inner MTU | TCP 1 stream ×plain | retransmits | CPU/GB ×plain "
              "| 64-byte UDP ×plain |")
    md.append("|---|---|---:|---:|---:|---:|---:|")
    for p in profiles:
        plain, plainu = cells.get((p, "tcp1", "plain")), cells.get((p, "udp64", "plain"))
        for k in ["stt"] + JUMBO_KINDS[:2] + ["vxlan", "vxlan9k"]:
            c, cu = cells.get((p, "tcp1", k)), cells.get((p, "udp64", k))
            if c is None and cu is None:
                continue
            md.append("| `%s` | %s | %d | %s | %s | %s | %s |" % (
                p, "**%s**" % k if k.startswith("stt") else k, INNER_MTU[k],
                fmt(ratio(c and c.median, plain and plain.median)),
                "—" if c is None or c.retrans is None else "%.0f" % c.retrans,
                fmt(ratio(c and c.cpu_median, plain and plain.cpu_median)),
                fmt(ratio(cu and cu.median, plainu and plainu.median))))
    md.append("")
    for p in profiles:
        for k in ["stt"] + JUMBO_KINDS[:2]:
            line = rx_line(agg.get((p, k)))
            if line:
                md.append("- `%s`, %s, 1-stream runs summed over rounds: %s." % (p, k, line))
    md.append("")
    return md


def streams_table(cells, profiles, stt, meta):
    """128 parallel TCP streams against 4 (make bench-streams): aggregate
    throughput, and what the reassembly table went through in the 128-stream
    runs."""
    high = num(meta.get("reasm_high_thresh"))
    md = ["## 128 streams against 4\n"]
    md.append("iperf3 `-P 4` and `-P 128` (its limit) in the same run; aggregate received "
              "throughput. In `wire-nogro` B's veth has GRO off, so every STT frame is "
              "reassembled from its segments and many are in flight at once. B's reassembly "
              "counters are summed over the 128-stream runs; the peak is the highest 50 ms "
              "sample of `reasm_bytes` (stt_sample.py in B) in any of them; backlog drops are "
              "the whole VM's (`/proc/net/softnet_stat`), where veth drops a segment when "
              "its CPU's backlog is full.\n")
    md.append("| target | measured | |")
    md.append("|---|---|---|")
    for p in profiles:
        c4, c128 = cells.get((p, "tcp4", "stt")), cells.get((p, "tcp128", "stt"))
        if c4 is None or c128 is None:
            continue
        r = ratio(c128.median, c4.median)
        rs = [c128.by_round[n] / c4.by_round[n] for n in sorted(c128.by_round, key=int)
              if c4.by_round.get(n)]
        pl4, pl128 = cells.get((p, "tcp4", "plain")), cells.get((p, "tcp128", "plain"))
        plr = ratio(pl128 and pl128.median, pl4 and pl4.median)
        md.append("| `%s`: STT, 128 streams ≥ 0.9× 4 streams | %s×%s (%s against %s Gbit/s; "
                  "plain: %s×) | %s |" % (
                      p, fmt(r), " (per round: %s)" % ", ".join("%.2f" % x for x in rs)
                      if len(rs) > 1 else "", fmt_value(c128.median), fmt_value(c4.median),
                      fmt(plr), "—" if r is None else ("met" if r >= 0.9 else "**missed**")))
        runs = [s for s in stt if s.get("profile") == p and s.get("workload") == "tcp128"
                and s.get("kind") == "stt"]
        if not runs:
            continue
        tot = {}
        for s in runs:
            for k in ("reasm_timeouts", "reasm_evictions", "reasm_mem_drops",
                      "reasm_dropped_segs", "backlog_drops", "rx_frames", "rx_reasm_frames"):
                tot[k] = tot.get(k, 0) + (num(s.get(k)) or 0)
        peaks = [num(s.get("peak_reasm_bytes")) for s in runs
                 if num(s.get("peak_reasm_bytes")) is not None]
        te = tot["reasm_timeouts"] + tot["reasm_evictions"]
        md.append("| `%s`, 128 streams: zero reassembly timeouts and evictions | %d timeouts, "
                  "%d evictions (%d segments dropped with them; %d backlog drops in the VM) "
                  "in %d frames, %d of them reassembled | %s |" % (
                      p, tot["reasm_timeouts"], tot["reasm_evictions"],
                      tot["reasm_dropped_segs"], tot["backlog_drops"], tot["rx_frames"],
                      tot["rx_reasm_frames"], "met" if te == 0 else "**missed**"))
        if peaks:
            pk = max(peaks)
            ok = tot["reasm_mem_drops"] == 0 and (high is None or pk <= high)
            md.append("| `%s`, 128 streams: reassembly memory within the thresholds | peak "
                      "%.2f MiB (per run: %s MiB) against `reasm_high_thresh` %s MiB; %d memory "
                      "drops | %s |" % (
                          p, pk / 2**20, ", ".join("%.2f" % (x / 2**20) for x in peaks),
                          "?" if high is None else "%.0f" % (high / 2**20),
                          tot["reasm_mem_drops"], "met" if ok else "**missed**"))
    md.append("")
    return md


def ovs_table(cells, profiles):
    """The Nicira table again: Open vSwitch over each tunnel, one TCP
    stream, as ratios to plain veth in the same run."""

    def cell(p, k, w="tcp1"):
        return cells.get((p, w, k))

    md = ["## Open vSwitch: the Nicira table as ratios\n"]
    md.append("Nicira, 2012 (one flow between two VMs, 10G NICs with TSO): %s.\n" % "; ".join(
        "%s %.1f Gbit/s (%.2f×)" % (n, v, v / NICIRA[0][1]) for n, v in NICIRA))
    md.append("Here: two OVS bridges, one per netns, joined by the tunnel over one veth; "
              "`×plain` is plain veth without OVS or tunnel, `×ovs-stt` divides by OVS over "
              "STT in the same profile.\n")
    md.append("| profile | kind | 1 stream ×plain | ×ovs-stt | CPU/GB ×plain | 4 streams ×plain |")
    md.append("|---|---|---:|---:|---:|---:|")
    for p in profiles:
        plain, ostt = cell(p, "plain"), cell(p, "ovs-stt")
        plain4 = cell(p, "plain", "tcp4")
        for k in ["stt", "ovs-stt"] + OVS_TUNNELS:
            c = cell(p, k)
            if c is None:
                continue
            c4 = cell(p, k, "tcp4")
            md.append("| `%s` | %s | %s | %s | %s | %s |" % (
                p, "**%s**" % k if k == "ovs-stt" else k,
                fmt(ratio(c.median, plain and plain.median)),
                fmt(ratio(c.median, ostt and ostt.median)),
                fmt(ratio(c.cpu_median, plain and plain.cpu_median)),
                fmt(ratio(c4 and c4.median, plain4 and plain4.median))))
    md.append("")
    return md


def chart(path, profile, cells, workloads, kinds, meta, gnuplot):
    """Bars: each kind's median as a multiple of plain's, per workload, with
    min-max whiskers; plus tcp1's CPU per GB."""
    groups = []
    for w in workloads:
        plain = cells.get((profile, w, "plain"))
        pm = plain.median if plain else None
        label = WORKLOAD_NAME.get(w, w)
        if pm:
            label += "\\n(plain %s %s)" % (fmt_value(pm), plain.unit)
        row = []
        for k in kinds:
            c = cells.get((profile, w, k))
            if c is None or not c.values or not pm:
                row += ["?", "?", "?"]
            else:
                row += ["%.4f" % (c.median / pm), "%.4f" % (min(c.values) / pm),
                        "%.4f" % (max(c.values) / pm)]
        groups.append((label, row))
    if "tcp1" in workloads:
        plain = cells.get((profile, "tcp1", "plain"))
        pm = plain.cpu_median if plain else None
        label = "CPU s/GB, 1 stream\\n(lower is better)"
        if pm:
            label = "CPU s/GB, 1 stream\\n(plain %.2f; lower is better)" % pm
        row = []
        for k in kinds:
            c = cells.get((profile, "tcp1", k))
            if c is None or not c.cpu or not pm:
                row += ["?", "?", "?"]
            else:
                row += ["%.4f" % (c.cpu_median / pm), "%.4f" % (min(c.cpu) / pm),
                        "%.4f" % (max(c.cpu) / pm)]
        groups.append((label, row))

    tmp = tempfile.mkdtemp(prefix="stt-bench-")
    try:
        dat = os.path.join(tmp, "d.dat")
        with open(dat, "w") as f:
            for label, row in groups:
                f.write('"%s" %s\n' % (label, " ".join(row)))
        gp = os.path.join(tmp, "c.gp")
        plots = []
        for i, k in enumerate(kinds):
            plots.append("'%s' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'" % (
                dat, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, k, COLORS.get(k, "black")))
        with open(gp, "w") as f:
            f.write("""
set terminal pngcairo size 1100,600 font 'DejaVu Sans,10' noenhanced
set bmargin 5
set output '%s'
set title "STT benchmark, profile '%s' — %s, %s s per run, %s round(s)\\nmedian as a multiple of plain (no tunnel) in the same run; whiskers: min–max over rounds"
set datafile missing '?'
set style data histograms
set style histogram errorbars gap 1.5 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel '× plain'
set grid ytics
set key top right
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb '#444444'
set arrow from graph 0, first 0.9 to graph 1, first 0.9 nohead dt 3 lc rgb '#d62728'
plot %s
""" % (path, profile, meta.get("kernel", "?"), meta.get("secs", "?"),
                meta.get("rounds", "?"), ", ".join(plots)))
        subprocess.run([gnuplot, gp], check=True)
    finally:
        shutil.rmtree(tmp)


def commands_md(command, cmds):
    """The report's last section: the host's command, then the guest's."""
    md = ["## Commands\n", "```sh"]
    if command:
        md += ["# on the host", command, "# in the VM"]
    return md + list(cmds) + ["```"]


def write_md(path, md):
    """Write the report's lines to PATH and print them."""
    text = "\n".join(md) + "\n"
    with open(path, "w") as f:
        f.write(text)
    print(text)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    raw, outdir = sys.argv[1], sys.argv[2]
    command = sys.argv[3] if len(sys.argv) > 3 else ""
    meta, cmds, results, stt, warns, done = parse(raw)
    if not results:
        print("report: no BENCH-RESULT lines in %s" % raw, file=sys.stderr)
        sys.exit(1)
    os.makedirs(outdir, exist_ok=True)
    cells = build(results)
    profiles = ordered({k[0] for k in cells}, PROFILE_ORDER)
    workloads = ordered({k[1] for k in cells}, WORKLOAD_ORDER)
    kinds = ordered({k[2] for k in cells}, KIND_ORDER)
    rows = summary_rows(cells, profiles, workloads, kinds)

    with open(os.path.join(outdir, "measurements.csv"), "w", newline="") as f:
        cols = ["round", "profile", "workload", "kind", "value", "unit", "bytes",
                "cpu_s", "cpu_s_per_gb", "failed"]
        extra = sorted({k for r in results for k in r} - set(cols))
        w = csv.writer(f)
        w.writerow(["kernel"] + cols + extra)
        for r in results:
            w.writerow([meta.get("kernel", "")] + [r.get(c, "") for c in cols + extra])

    with open(os.path.join(outdir, "results.csv"), "w", newline="") as f:
        cols = ["profile", "workload", "kind", "unit", "n", "failed", "median", "min",
                "max", "spread_pct", "x_plain", "best_tunnel", "x_best_tunnel",
                "cpu_s_per_gb", "cpu_x_plain", "cpu_x_best_tunnel"]
        w = csv.writer(f)
        w.writerow(["kernel"] + cols)
        for r in rows:
            w.writerow([meta.get("kernel", "")] + [
                ("%.4g" % r[c]) if isinstance(r[c], float) else r[c] for c in cols])

    gnuplot = shutil.which("gnuplot")
    pngs = []
    for p in profiles:
        png = os.path.join(outdir, "%s.png" % p)
        if gnuplot:
            chart(png, p, cells, workloads, kinds, meta, gnuplot)
            pngs.append(os.path.basename(png))
    if not gnuplot:
        warns.append("report: gnuplot not installed (apt-get install gnuplot-nox): no charts")

    md = []
    md.append("# STT benchmark: %s\n" % meta.get("kernel", "?"))
    reduced = []
    if meta.get("secs") != "10":
        reduced.append("%s s per measurement (full: 10)" % meta.get("secs"))
    if num(meta.get("rounds")) is not None and num(meta.get("rounds")) < 3:
        reduced.append("%s round(s) (full: 3)" % meta.get("rounds"))
    ovs_run = any(k.startswith("ovs-") for k in kinds)
    jumbo_run = any(k in JUMBO_KINDS for k in kinds)
    streams_run = "tcp128" in workloads
    if ovs_run:
        full_set = (OVS_RUN_PROFILES, OVS_RUN_KINDS, OVS_RUN_WORKLOADS)
    elif jumbo_run:
        full_set = (JUMBO_RUN_PROFILES, JUMBO_RUN_KINDS, JUMBO_RUN_WORKLOADS)
    elif streams_run:
        full_set = (STREAMS_RUN_PROFILES, STREAMS_RUN_KINDS, STREAMS_RUN_WORKLOADS)
    else:
        full_set = (ISSUE6_PROFILES, DEFAULT_KINDS, ISSUE6_WORKLOADS)
    for name, full in zip(("profiles", "kinds", "workloads"), full_set):
        if not set(full) <= set(meta.get(name, "").split()):
            reduced.append("%s: %s only" % (name, meta.get(name)))
    if reduced:
        md.append("**Reduced run** — %s.\n" % "; ".join(reduced))
    md.append("- Kernel: `%s`" % meta.get("uname", meta.get("kernel", "?")))
    md.append("- %s vCPUs (QEMU; TCG unless VM_ACCEL=kvm), %s s per measurement, %s interleaved round(s); "
              "medians, spread = (max − min) / median" % (
                  meta.get("cpus", "?"), meta.get("secs", "?"), meta.get("rounds", "?")))
    md.append("- %s; stt.ko srcversion %s" % (meta.get("iperf3", "iperf3 ?"),
                                                meta.get("srcversion", "?")))
    if done:
        md.append("- %s measurements in %s s of VM time" % (done.get("measurements"),
                                                           done.get("secs")))
    else:
        md.append("- **the run did not finish** (no BENCH-DONE line)")
    md.append("")
    md.append("Absolute figures under QEMU/TCG mean little; the ratios within this one "
              "run are the result. `×plain` divides by plain veth (no tunnel) in the same "
              "profile; `×best` by the best of vxlan, geneve and gretap (for the OVS kinds: of "
              "ovs-geneve, ovs-vxlan and ovs-gre), the highest median, or for CPU the lowest. Throughput in Gbit/s, 64-byte UDP in thousands of "
              "packets received per second, TCP_RR in thousands of transactions per second; "
              "CPU is whole-guest busy time per GB received, for TCP_RR per transaction in µs (lower is better).\n")

    agg = stt_rx(stt)
    if ovs_run:
        md.extend(ovs_table(cells, profiles))
    if jumbo_run:
        md.extend(jumbo_table(cells, profiles, agg))
    if streams_run:
        md.extend(streams_table(cells, profiles, stt, meta))
    if not ovs_run and not jumbo_run and not streams_run:
        md.append("## Issue 6's targets\n")
        md.append("| target | measured | met |")
        md.append("|---|---|---|")
        for what, r, met, per_round in targets(cells):
            md.append("| %s | %s | %s |" % (what, "—" if r is None else "%.2f×%s" % (r, per_round),
                                           "not measured" if met is None else ("yes" if met else "**no**")))
        md.append("")

    for p in profiles:
        md.append("## Profile `%s`\n" % p)
        if ("profile." + p) in meta:
            md.append("`%s` on both underlay veths.\n" % meta["profile." + p])
        if p + ".png" in pngs:
            md.append("![%s](%s.png)\n" % (p, p))
        md.append("| workload | kind | median | unit | spread | ×plain | ×best tunnel | CPU s/GB | CPU ×plain | CPU ×best |")
        md.append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            if r["profile"] != p:
                continue
            name = "**%s**" % r["kind"] if r["kind"] in ("stt", "ovs-stt") else r["kind"]
            spread = "—" if r["spread_pct"] is None else "%.0f%%" % r["spread_pct"]
            if r["failed"]:
                spread += " (%d failed)" % r["failed"]
            md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                WORKLOAD_NAME.get(r["workload"], r["workload"]), name,
                fmt_value(r["median"]), r["unit"], spread,
                fmt(r["x_plain"]), fmt(r["x_best_tunnel"]) + (
                    " (%s)" % r["best_tunnel"]
                    if r["kind"] in ("stt", "ovs-stt") and r["best_tunnel"] else ""),
                fmt(r["cpu_s_per_gb"], 2 if (r["cpu_s_per_gb"] or 0) < 100 else 0) + (
                    " µs/tx" if r["workload"] == "rr" and r["cpu_s_per_gb"] is not None else ""),
                fmt(r["cpu_x_plain"]), fmt(r["cpu_x_best_tunnel"])))
        line = rx_line(agg.get((p, "stt")))
        if line:
            md.append("\nSTT receive path, 1-stream runs summed over rounds: %s." % line)
        md.append("")

    if warns:
        md.append("## Warnings from the run\n")
        md.append("```")
        md.extend(sorted(set(warns)))
        md.append("```\n")

    links = [(k[5:], v) for k, v in meta.items() if k.startswith("link.")]
    if links:
        md.append("## Devices (`ip -d link show`, in netns A)\n")
        md.append("```")
        for k, v in sorted(links, key=lambda x: KIND_ORDER.index(x[0]) if x[0] in KIND_ORDER else 99):
            md.append("%-10s %s" % (k, v.strip()))
        md.append("```\n")

    md.extend(commands_md(command, cmds))
    write_md(os.path.join(outdir, "results.md"), md)


if __name__ == "__main__":
    main()
