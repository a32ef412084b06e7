#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the VM's stdout from tools/bench/scale-guest.sh into a report.

    scale-report.py RAW_LOG OUTDIR [COMMAND_LINE]

Writes OUTDIR/scale.md (the targets of issue 18's scale part as measured
ratio and met/missed, per-round figures, tables, commands), OUTDIR/scale.csv
(every measurement) and, with gnuplot, OUTDIR/scale-devs.png (time per
device per block of devices), scale-mem.png (memory per device),
scale-pps.png, scale-churn.png, scale-routes.png and scale-flood.png (the
reassembly table under a first-segment flood, by stt.ko's count and by the
kernel's slab count, with both high-water marks).  Prints the markdown.
"""

import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import commands_md, fmt, num, parse, write_md  # noqa: E402  (tools/bench/report.py)

COLORS = {"stt": "#d62728", "geneve": "#2ca02c"}
KINDS = ["stt", "geneve"]


def pick(results, **want):
    return [r for r in results if all(r.get(k) == v for k, v in want.items())
            and not r.get("failed")]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return None if a is None or not b else a / b


def verdict(r, limit, higher_is_better):
    if r is None or r <= 0:
        return "not measured"
    ok = r >= limit if higher_is_better else r <= limit
    return "met" if ok else "**missed**"


def rounds_str(vals):
    vals = [v for v in vals if v is not None]
    return " (%s)" % ", ".join("%.2f" % v for v in vals) if len(vals) > 1 else ""


def flood_samples(raw):
    """{phase: [(t, reasm_bytes, slab_bytes)]} from SCALE-SAMPLES lines."""
    out = {}
    with open(raw, errors="replace") as f:
        for line in f:
            if not line.startswith("SCALE-SAMPLES part=flood "):
                continue
            words = line.split()
            phase = words[2].partition("=")[2]
            pts = []
            for w in words[3:]:
                try:
                    t, v, sl = w.split(":")
                    pts.append((float(t), int(v), int(sl)))
                except ValueError:
                    pass
            out[phase] = pts
    return out


def gnuplot_run(gnuplot, script, data):
    tmp = tempfile.mkdtemp(prefix="stt-scale-")
    try:
        for name, text in data.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        gp = os.path.join(tmp, "plot.gp")
        with open(gp, "w") as f:
            f.write(script.replace("@TMP@", tmp))
        subprocess.run([gnuplot, gp], check=True)
    finally:
        shutil.rmtree(tmp)


HEAD = """set terminal pngcairo size 900,520 font 'DejaVu Sans,10' noenhanced
set output '%s'
set title "%s"
set grid ytics
set key top left
set datafile missing '?'
"""


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    raw, outdir = sys.argv[1], sys.argv[2]
    command = sys.argv[3] if len(sys.argv) > 3 else ""
    meta, cmds, results, _, warns, done = parse(raw, "SCALE")
    if not results:
        print("scale-report: no SCALE-RESULT lines in %s" % raw, file=sys.stderr)
        sys.exit(1)
    os.makedirs(outdir, exist_ok=True)
    kernel = meta.get("kernel", "?")
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        warns.append("report: gnuplot not installed (apt-get install gnuplot-nox): no charts")
    pngs = []

    def chart(name, title, script, data):
        if not gnuplot:
            return
        path = os.path.join(outdir, name)
        gnuplot_run(gnuplot, HEAD % (path, title) + script, data)
        pngs.append(name)

    with open(os.path.join(outdir, "scale.csv"), "w", newline="") as f:
        cols = sorted({k for r in results for k in r})
        w = csv.writer(f)
        w.writerow(["kernel"] + cols)
        for r in results:
            w.writerow([kernel] + [r.get(c, "") for c in cols])

    targets = []   # (target, measured text, verdict)
    sections = []

    # ---- 1. devices -------------------------------------------------------
    ndev = meta.get("devs", "?")
    block = meta.get("block", "?")
    blocks = {}
    for r in pick(results, part="devs", test="block"):
        blocks[(r["kind"], r["op"], int(r["block"]))] = num(r["us_per_dev"])
    if blocks:
        nb = max(b for (_, _, b) in blocks)
        sec = ["## 1. %s devices in one netns\n" % ndev]
        sec.append("Time per device of each block of %s (one `ip -batch` each, ip's start "
                   "included), in ms. Create block *b* ends with *b* × %s devices; delete block *b* "
                   "starts with %s − (*b* − 1) × %s, in the order created.\n" % (block, block, ndev, block))
        sec.append("| block | devices (create: after; delete: before) | stt create | geneve create | stt delete | geneve delete |")
        sec.append("|---:|---|---:|---:|---:|---:|")
        dat = []
        for b in range(1, nb + 1):
            n_after = b * int(block)
            n_before = int(ndev) - (b - 1) * int(block)
            vals = [blocks.get((k, op, b)) for op in ("create", "delete") for k in KINDS]
            sec.append("| %d | %d / %d | %s |" % (b, n_after, n_before, " | ".join(
                fmt(None if v is None else v / 1000, 1) for v in vals)))
        for k in KINDS:
            for op in ("create", "delete"):
                for b in range(1, nb + 1):
                    n = b * int(block) if op == "create" else int(ndev) - (b - 1) * int(block)
                    v = blocks.get((k, op, b))
                    dat.append("%s %s %d %s" % (k, op, n, "?" if v is None else "%.3f" % (v / 1000)))
        sec.append("")
        for k in KINDS:
            c1, cl = blocks.get((k, "create", 1)), blocks.get((k, "create", nb))
            d_hi, d_lo = blocks.get((k, "delete", 1)), blocks.get((k, "delete", nb))
            rc, rd = ratio(cl, c1), ratio(d_hi, d_lo)
            if k == "stt":
                targets.append(("create: last block ≤ 1.5× the first (%s devices)" % ndev,
                                "%s× (%s against %s ms per device)" % (
                                    fmt(rc), fmt(cl and cl / 1000, 1), fmt(c1 and c1 / 1000, 1)),
                                verdict(rc, 1.5, False)))
                targets.append(("delete: the block at %s devices ≤ 1.5× the block at %s" % (ndev, block),
                                "%s× (%s against %s ms per device)" % (
                                    fmt(rd), fmt(d_hi and d_hi / 1000, 1), fmt(d_lo and d_lo / 1000, 1)),
                                verdict(rd, 1.5, False)))
            sec.append("- %s: create last/first block %s×, delete block at %s devices / at %s: %s×"
                       % (k, fmt(rc), ndev, block, fmt(rd)))
        ips = [num(r["ip_ms"]) for r in pick(results, part="devs", test="block") if r.get("ip_ms")]
        if ips:
            sec.append("- an empty `ip -batch` right before each block took %s–%s ms (median %s): "
                       "up to %s ms of each figure above is ip's start, which is why creation, "
                       "a few ms per device, cannot be resolved finer than that under TCG"
                       % (fmt(min(ips), 0), fmt(max(ips), 0), fmt(median(ips), 0),
                          fmt(max(ips) / int(block), 1)))
        mem = {r["kind"]: r for r in pick(results, part="devs", test="mem")}
        if mem:
            sec.append("\nKernel memory per device (MemTotal − MemFree − the LRU lists, i.e. "
                       "without page cache and processes; read after a 2 s settle), and "
                       "the slab's share of it:\n")
            sec.append("| kind | kB per device | slab kB per device | kB left after deleting all |")
            sec.append("|---|---:|---:|---:|")
            for k in KINDS:
                if k in mem:
                    sec.append("| %s | %s | %s | %s |" % (k, mem[k]["kmem_kb_per_dev"],
                                                          mem[k]["slab_kb_per_dev"],
                                                          mem[k].get("kmem_kb_left", "?")))
            s, g = num(mem.get("stt", {}).get("kmem_kb_per_dev")), num(mem.get("geneve", {}).get("kmem_kb_per_dev"))
            ss, sg = num(mem.get("stt", {}).get("slab_kb_per_dev")), num(mem.get("geneve", {}).get("slab_kb_per_dev"))
            # Kernel memory below its own slab share: something else was
            # freed meanwhile (page cache moving off the LRU lists...), and
            # the slab figure is the one to compare.
            bad = [k for k, t, sl in (("stt", s, ss), ("geneve", g, sg))
                   if t is not None and sl is not None and t < sl]
            text = "%s kB against %s kB: %s× (slab %s against %s kB: %s×)" % (
                fmt(s, 1), fmt(g, 1), fmt(ratio(s, g)), fmt(ss, 1), fmt(sg, 1), fmt(ratio(ss, sg)))
            if bad:
                text += ("; %s's kernel memory came out below its slab share, so that "
                         "figure is noise here and the slab's is the comparison" % " and ".join(bad))
            targets.append(("memory per device, compared with geneve (no limit set)", text,
                            "reported"))
            chart("scale-mem.png", "Kernel memory per device, %s devices in one netns — %s" % (ndev, kernel),
                  """set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set yrange [0:*]
set ylabel 'kB per device'
plot '@TMP@/mem' using 2:xtic(1) title 'kernel memory' lc rgb '#d62728', '' using 3 title 'of which slab' lc rgb '#1f77b4'
""", {"mem": "".join("%s %s %s\n" % (k, mem[k]["kmem_kb_per_dev"], mem[k]["slab_kb_per_dev"])
                       for k in KINDS if k in mem)})
        plots = []
        for k in KINDS:
            for op, dt in (("create", 1), ("delete", 2)):
                plots.append("'@TMP@/devs' using ((strcol(1) eq '%s' && strcol(2) eq '%s') ? $3 : 1/0):4 "
                             "with linespoints dt %d lw 2 pt 7 lc rgb '%s' title '%s %s'"
                             % (k, op, dt, COLORS[k], k, op))
        chart("scale-devs.png",
              "Create and delete time per device, blocks of %s — %s\\n(create: devices after the block; delete: devices before it)" % (block, kernel),
              "set xlabel 'devices in the netns'\nset ylabel 'ms per device'\nset yrange [0:*]\nplot %s\n" % ", ".join(plots),
              {"devs": "\n".join(dat) + "\n"})
        if "scale-devs.png" in pngs:
            sec.append("\n![time per device per block](scale-devs.png)")
        if "scale-mem.png" in pngs:
            sec.append("\n![memory per device](scale-mem.png)")

        pps = pick(results, part="devs", test="pps")
        if pps:
            alone = [num(r["kpps"]) for r in pps if r["others"] == "0"]
            withn = [num(r["kpps"]) for r in pps if r["others"] != "0"]
            ma, mw = median(alone), median(withn)
            rp = ratio(mw, ma)
            targets.append(("receive pps on one device with %s others ≥ 0.95× alone" % ndev,
                            "%s× (%s against %s kpps; alone per round: %s; with others: %s)" % (
                                fmt(rp), fmt(mw), fmt(ma),
                                ", ".join(fmt(v) for v in alone), ", ".join(fmt(v) for v in withn)),
                            verdict(rp, 0.95, True)))
            sec.append("\n64-byte UDP (iperf3 `-u -l 64 -b 0`, %s s) into rx0, thousands of "
                       "packets received per second:\n" % meta.get("secs", "?"))
            sec.append("| phase | round | other stt devices | kpps |")
            sec.append("|---|---:|---:|---:|")
            for r in pps:
                sec.append("| %s | %s | %s | %s |" % (r["phase"], r["round"], r["others"], r["kpps"]))
            order = {"alone-before": 0, "with-others": 1, "alone-after": 2}
            chart("scale-pps.png", "64-byte UDP into one stt device, alone and beside %s others — %s" % (ndev, kernel),
                  """set style data histograms
set style fill solid 0.85 border -1
set yrange [0:*]
set ylabel 'kpps received'
set key off
set xtics rotate by -30
plot '@TMP@/pps' using 2:xtic(1) lc rgb '#d62728'
""", {"pps": "".join("%s-r%s %s\n" % (r["phase"], r["round"], r["kpps"])
                       for r in sorted(pps, key=lambda r: (order.get(r["phase"], 9), r["round"])))})
            if "scale-pps.png" in pngs:
                sec.append("\n![pps](scale-pps.png)")
        sections.append("\n".join(sec) + "\n")

    # ---- 2. churn ---------------------------------------------------------
    churn = pick(results, part="churn")
    if churn:
        nns = meta.get("netns", "?")
        by = {}
        for r in churn:
            by.setdefault(r["kind"], {})[r["round"]] = (num(r["create_ms"]), num(r["delete_ms"]))
        rounds = sorted({r["round"] for r in churn}, key=int)
        tot = {k: {rd: sum(v) for rd, v in by.get(k, {}).items()} for k in KINDS}
        ms, mg = median(tot["stt"].values()), median(tot["geneve"].values())
        rc = ratio(ms, mg)
        per = [ratio(tot["stt"].get(rd), tot["geneve"].get(rd)) for rd in rounds]
        cs = median(v[0] for v in by.get("stt", {}).values())
        cg = median(v[0] for v in by.get("geneve", {}).values())
        ds = median(v[1] for v in by.get("stt", {}).values())
        dg = median(v[1] for v in by.get("geneve", {}).values())
        targets.append(("netns churn (%s netns, one device each): stt ≤ 1.5× geneve" % nns,
                        "%s×%s (%s against %s ms; create %s×, delete %s×)" % (
                            fmt(rc), rounds_str(per), fmt(ms, 0), fmt(mg, 0),
                            fmt(ratio(cs, cg)), fmt(ratio(ds, dg))),
                        verdict(rc, 1.5, False)))
        sec = ["## 2. Network namespace churn: %s netns\n" % nns]
        sec.append("Each netns is the underlay (`link-netns`) of one device; created with two "
                   "`ip -batch` (netns add; link add), deleted with one (netns del) and timed "
                   "until the kernel has torn them down (stt's `nr_netns` back). ms for all %s:\n" % nns)
        sec.append("| round | stt create | stt delete | stt total | geneve create | geneve delete | geneve total | stt × geneve |")
        sec.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
        dat = []
        for rd, p in zip(rounds, per):
            s = by.get("stt", {}).get(rd, (None, None))
            g = by.get("geneve", {}).get(rd, (None, None))
            sec.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                rd, fmt(s[0], 0), fmt(s[1], 0), fmt(tot["stt"].get(rd), 0),
                fmt(g[0], 0), fmt(g[1], 0), fmt(tot["geneve"].get(rd), 0), fmt(p)))
            dat.append("round%s %s %s %s %s" % (rd, *["?" if x is None else x for x in (*s, *g)]))
        chart("scale-churn.png", "%s netns, one device each: create and delete — %s" % (nns, kernel),
              """set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set yrange [0:*]
set ylabel 'ms for all netns'
plot '@TMP@/churn' using 2:xtic(1) title 'stt create' lc rgb '#f4a3a3', '' using 3 title 'stt delete' lc rgb '#d62728', '' using 4 title 'geneve create' lc rgb '#a8dca8', '' using 5 title 'geneve delete' lc rgb '#2ca02c'
""", {"churn": "\n".join(dat) + "\n"})
        if "scale-churn.png" in pngs:
            sec.append("\n![netns churn](scale-churn.png)")
        sections.append("\n".join(sec) + "\n")

    # ---- 3. routes --------------------------------------------------------
    rts = [r for r in pick(results, part="routes") if r.get("test") in ("tcp", "udp64")]
    if rts:
        nr = meta.get("routes", "?")
        sec = ["## 3. One external device, %s lwtunnel routes\n" % nr]
        sec.append("TCP (iperf3, one stream, Mbit/s) and 64-byte UDP (kpps received) from A's "
                   "external device to B over one route, then with %s more routes on the device "
                   "(each its own remote and key):\n" % nr)
        sec.append("| workload | round | 1 route | + %s routes | ratio |" % nr)
        sec.append("|---|---:|---:|---:|---:|")
        dat = []
        for w, unit in (("tcp", "Mbit/s"), ("udp64", "kpps")):
            one = {r["round"]: num(r["value"]) for r in rts if r["test"] == w and r["others"] == "0"}
            many = {r["round"]: num(r["value"]) for r in rts if r["test"] == w and r["others"] != "0"}
            rounds = sorted(set(one) | set(many), key=int)
            per = [ratio(many.get(rd), one.get(rd)) for rd in rounds]
            for rd, p in zip(rounds, per):
                sec.append("| %s | %s | %s | %s | %s |" % (w, rd, fmt(one.get(rd)), fmt(many.get(rd)), fmt(p)))
                dat.append("%s-r%s %s" % (w, rd, "?" if p is None else "%.3f" % p))
            m1, mn = median(one.values()), median(many.values())
            r = ratio(mn, m1)
            targets.append(("%s routes: %s ≥ 0.9× with 1 route" % (nr, "throughput (TCP)" if w == "tcp" else "pps (64-byte UDP)"),
                            "%s×%s (%s against %s %s)" % (fmt(r), rounds_str(per), fmt(mn), fmt(m1), unit),
                            verdict(r, 0.9, True)))
        ops = pick(results, part="routes", test="op")
        if ops:
            sec.append("\nAdding the %s routes took %s ms, deleting them %s ms (one `ip -batch` each, per round)." % (
                nr, ", ".join(r["ms"] for r in ops if r["op"] == "add"),
                ", ".join(r["ms"] for r in ops if r["op"] == "del")))
        chart("scale-routes.png", "External device: with %s more routes, as a multiple of 1 route, per round — %s\\n(TCP: Mbit/s; UDP: 64-byte packets received per second; dotted: the 0.9 target)" % (nr, kernel),
              """set style data histograms
set style fill solid 0.85 border -1
set yrange [0:*]
set ylabel '× 1 route'
set key off
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb '#444444'
set arrow from graph 0, first 0.9 to graph 1, first 0.9 nohead dt 3 lc rgb '#d62728'
plot '@TMP@/routes' using 2:xtic(1) lc rgb '#d62728'
""", {"routes": "\n".join(dat) + "\n"})
        if "scale-routes.png" in pngs:
            sec.append("\n![routes](scale-routes.png)")
        sections.append("\n".join(sec) + "\n")

    # ---- 4. flood ---------------------------------------------------------
    floods = {r["phase"]: r for r in pick(results, part="flood")}
    if floods:
        mib = 1 << 20
        samples = flood_samples(raw)
        sec = ["## 4. Reassembly memory under a %s-frame flood\n" % meta.get("flood", "?")]
        sec.append("First segments only, each of its own frame (`stt-craft flood`, pinned to CPU 0), "
                   "into B (veth GRO off), with B's thresholds lowered so that the flood fills the "
                   "table, and with B's defaults. Every 50 ms, B's `reasm_bytes` (stt.ko's own "
                   "count, in truesize) and the bytes of slab objects in use (Σ active_objs × objsize "
                   "over /proc/slabinfo), the allocator's count of the memory where every queued "
                   "sk_buff and its kmalloc'd head live: the independent measure, as growth over "
                   "its value a second before the flood. "
                   "The slack is one 64 KiB segment per other CPU (the bound stt_flood.sh "
                   "asserts on `reasm_bytes_max`). The slab also holds what is not in the table "
                   "yet (segments in the veth backlog), and SLUB counts the free objects of each "
                   "CPU's current slab as in use, hence the 10%% allowed between the two counts: more than that would "
                   "mean memory held for the flood that stt.ko does not count.\n")
        sec.append("| phase | high / low, timeout | sent in | segments | reasm_bytes peak (sampled) "
                   "| reasm_bytes_max | slab growth peak | slab ÷ high | timeouts | evictions | mem drops |")
        sec.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for ph in ("lowered", "default"):
            r = floods.get(ph)
            if not r:
                continue
            high = num(r["high"])
            grow = None
            if num(r.get("slab_peak")) is not None and num(r.get("slab_base")) is not None:
                grow = num(r["slab_peak"]) - num(r["slab_base"])
            hwm = num(r.get("reasm_hwm"))
            sec.append("| %s | %.0f / %.0f MiB, %s ms | %s s | %s | %s MiB | %s | %s MiB | %s× | %s | %s | %s |" % (
                ph, high / mib, num(r["low"]) / mib, r["timeout_ms"],
                fmt(num(r["send_ms"]) / 1000, 1), r.get("segments", "?"),
                fmt(num(r.get("reasm_peak")) and num(r["reasm_peak"]) / mib),
                "%s MiB" % fmt(hwm / mib) if ph == "lowered" and hwm is not None else "—",
                fmt(grow and grow / mib), fmt(ratio(grow, high)),
                r.get("timeouts", "?"), r.get("evictions", "?"), r.get("mem_drops", "?")))
            rpk = num(r.get("reasm_peak"))
            if ph == "lowered":
                bound = high + (num(r.get("slack")) or 0)
                targets.append(("flood into a %.0f MiB table: stt.ko's `reasm_bytes_max` ≤ high + "
                                "slack (%.2f MiB)" % (high / mib, bound / mib),
                                "%s MiB (sampled peak %s MiB; %s evictions)" % (
                                    fmt(hwm and hwm / mib), fmt(rpk and rpk / mib),
                                    r.get("evictions", "?")),
                                verdict(ratio(hwm, bound), 1.0, False)))
            targets.append(("flood, %s thresholds (%.0f MiB, %s ms): peak by the independent "
                            "measure ≤ 1.1× stt.ko's sampled peak" % (ph, high / mib, r["timeout_ms"]),
                            "slab growth %s MiB against reasm_bytes %s MiB: %s× (%s× high)" % (
                                fmt(grow and grow / mib), fmt(rpk and rpk / mib),
                                fmt(ratio(grow, rpk)), fmt(ratio(grow, high))),
                            verdict(ratio(grow, rpk), 1.1, False)))
        data, plots = {}, []
        phases = [ph for ph in ("lowered", "default") if ph in floods and samples.get(ph)]
        for ph in phases:
            pts = samples[ph]
            base = num(floods[ph].get("slab_base")) or pts[0][2]
            data[ph] = "".join("%.3f %.4f %.4f\n" % (t, v / mib, (sl - base) / mib)
                               for t, v, sl in pts)
        if phases:
            script = ("set terminal pngcairo size %d,540 font 'DejaVu Sans,10' noenhanced\n"
                      "set multiplot layout 1,%d title \"Reassembly memory under a %s-frame "
                      "first-segment flood — %s\"\n" % (
                          700 * len(phases), len(phases), meta.get("flood", "?"), kernel))
            for ph in phases:
                r = floods[ph]
                high = num(r["high"]) / mib
                base = num(r.get("slab_base")) or samples[ph][0][2]
                grow = (max(sl for _, _, sl in samples[ph]) - base) / mib
                hwm = num(r.get("reasm_hwm"))
                script += "set title '%s: high %.0f MiB, timeout %s ms'\n" % (ph, high, r["timeout_ms"])
                script += "set xlabel 'seconds (50 ms samples)'\nset ylabel 'MiB'\nset key below\n"
                script += "set yrange [0:%f]\n" % (max(high, grow, num(r.get("reasm_peak")) / mib) * 1.2)
                lines = ["'@TMP@/%s' using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'reasm_bytes (stt.ko)'" % ph,
                         "'@TMP@/%s' using 1:3 with lines lw 1.5 lc rgb '#2ca02c' title 'slab objects in use, growth (/proc/slabinfo)'" % ph,
                         "%f with lines dt 2 lw 1.5 lc rgb '#d62728' title 'reasm_high_thresh'" % high,
                         "%f with lines dt 3 lw 1.5 lc rgb '#2ca02c' title 'slab high-water mark %.2f MiB'" % (grow, grow)]
                if ph == "lowered" and hwm is not None:
                    lines.append("%f with lines dt 3 lw 1.5 lc rgb '#1f77b4' title 'reasm_bytes_max %.2f MiB'"
                                 % (hwm / mib, hwm / mib))
                script += "plot %s\n" % ", ".join(lines)
            script += "unset multiplot\n"
            chart("scale-flood.png", "", script, data)
            if "scale-flood.png" in pngs:
                sec.append("\n![flood](scale-flood.png)")
        sections.append("\n".join(sec) + "\n")

    md = ["# STT at scale: %s\n" % kernel]
    reduced = [k for k, full in (("devs", "1000"), ("netns", "100"), ("routes", "10000"),
                                 ("flood", "100000"))
               if meta.get(k) != full]
    if reduced or set(meta.get("parts", "").split()) != {"devs", "churn", "routes", "flood"}:
        md.append("**Reduced run** — devs %s, netns %s, routes %s, flood %s, parts %s "
                  "(issue 18: 1000, 100, 10000, 100000).\n" % (
                      meta.get("devs"), meta.get("netns"), meta.get("routes"),
                      meta.get("flood"), meta.get("parts")))
    md.append("- Kernel: `%s`" % meta.get("uname", kernel))
    md.append("- %s vCPUs, %s kB (QEMU; TCG unless VM_ACCEL=kvm); %s s per iperf3 run, %s round(s)" % (
        meta.get("cpus", "?"), meta.get("mem_kb", "?"), meta.get("secs", "?"), meta.get("rounds", "?")))
    md.append("- %s; stt.ko srcversion %s" % (meta.get("iperf3", "iperf3 ?"), meta.get("srcversion", "?")))
    md.append("- VM time: %s" % ", ".join("%s %s s" % (k[5:], v) for k, v in meta.items() if k.startswith("secs.")))
    if not done:
        md.append("- **the run did not finish** (no SCALE-DONE line)")
    md.append("\nAbsolute figures under QEMU/TCG mean little; the ratios within this one run are the result.\n")
    md.append("## Targets\n")
    md.append("| target | measured | |")
    md.append("|---|---|---|")
    for t, m, v in targets:
        md.append("| %s | %s | %s |" % (t, m, v))
    md.append("")
    md.extend(sections)
    if warns:
        md.append("## Warnings from the run\n")
        md.append("```")
        md.extend(sorted(set(warns)))
        md.append("```\n")
    md.extend(commands_md(command, cmds))
    write_md(os.path.join(outdir, "scale.md"), md)


if __name__ == "__main__":
    main()
