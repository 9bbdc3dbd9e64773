#!/usr/bin/env python3
"""The table of an A/B run folder written by run-ab.sh: for each variant every run's GpuBench figures (the RESULT
JSON line of ab-VARIANT-ROUND.log), their medians and B / A. Writes ab.json beside the logs, prints the table.
Exit status 1 when a variant has no run that printed a RESULT line. AB_APP_A / AB_APP_B (set by run-ab.sh's caller)
name the jars a variant ran with.

usage: ab_table.py RUN_DIR A_OPTS B_OPTS
"""
import json
import os
import re
import statistics
import sys

# GpuBench RESULT keys compared, and how they are shown
FIGURES = [("first_chunk_window_median_s", "forward, first-chunk window", 1000.0, "ms"),
           ("full_window_median_s", "forward, full window", 1000.0, "ms"),
           ("chunk_s", "chunk (5 forwards)", 1000.0, "ms")]
LOG = re.compile(r"^ab-([AB])-(\d+)\.log$")


def result_of(path):
    """The RESULT JSON of a GpuBench log, or None when the run printed none (failed, timed out)."""
    with open(path, errors="replace") as f:
        lines = [line for line in f if line.startswith("RESULT ")]
    return json.loads(lines[-1][len("RESULT "):]) if lines else None


def collect(run_dir):
    """{variant: [(round, result or None)]} in round order."""
    runs = {"A": [], "B": []}
    for name in os.listdir(run_dir):
        m = LOG.match(name)
        if m:
            runs[m.group(1)].append((int(m.group(2)), result_of(os.path.join(run_dir, name))))
    for v in runs.values():
        v.sort(key=lambda x: x[0])
    return runs


def table(run_dir, a_opts, b_opts, apps=None):
    runs = collect(run_dir)
    apps = apps or {}
    out = {"variants": {"A": a_opts, "B": b_opts}, "jars": {v: apps.get(v) for v in ("A", "B")}, "figures": {}}
    for key, _, _, _ in FIGURES:
        fig = {}
        for v in ("A", "B"):
            values = [r[key] for _, r in runs[v] if r is not None and isinstance(r.get(key), (int, float))]
            fig[v] = {"runs": values, "median": statistics.median(values) if values else None}
        a, b = fig["A"]["median"], fig["B"]["median"]
        fig["b_over_a"] = b / a if a and b else None
        out["figures"][key] = fig
    out["failed_runs"] = {v: [rnd for rnd, r in runs[v] if r is None] for v in ("A", "B")}
    out["ok_runs"] = {v: [rnd for rnd, r in runs[v] if r is not None] for v in ("A", "B")}
    device = next((r.get("device") for v in ("A", "B") for _, r in runs[v] if r is not None), None)
    out["device"] = device
    return out


def variant_label(t, v):
    label = t["variants"][v] or "(common options only)"
    return label + (f", jars of {t['jars'][v]}" if t["jars"].get(v) else "")


def render(t):
    lines = [f"A/B on {t['device'] or '(no run succeeded)'}",
             f"  A: {variant_label(t, 'A')}",
             f"  B: {variant_label(t, 'B')}",
             f"  {'figure':<30} {'A runs':>24} {'B runs':>24} {'A median':>10} {'B median':>10} {'B / A':>7}"]
    for key, label, scale, unit in FIGURES:
        f = t["figures"][key]

        def runs(v):
            return ", ".join(f"{x * scale:.1f}" for x in f[v]["runs"]) or "-"

        def med(v):
            m = f[v]["median"]
            return f"{m * scale:.1f} {unit}" if m is not None else "-"
        ratio = f"{f['b_over_a']:.3f}" if f["b_over_a"] is not None else "-"
        lines.append(f"  {label:<30} {runs('A'):>24} {runs('B'):>24} {med('A'):>10} {med('B'):>10} {ratio:>7}")
    for v, rounds in t["failed_runs"].items():
        if rounds:
            lines.append(f"  variant {v}: no RESULT in round(s) {', '.join(map(str, rounds))} (see ab-{v}-N.log)")
    return "\n".join(lines)


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: ab_table.py RUN_DIR A_OPTS B_OPTS")
    run_dir = argv[1]
    apps = {v: os.environ.get("AB_APP_" + v) or None for v in ("A", "B")}
    t = table(run_dir, argv[2], argv[3], apps)
    with open(os.path.join(run_dir, "ab.json"), "w") as f:
        json.dump(t, f, indent=1)
    print(render(t))
    return 0 if all(t["ok_runs"][v] for v in ("A", "B")) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
