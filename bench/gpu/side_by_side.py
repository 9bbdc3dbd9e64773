#!/usr/bin/env python3
"""Side-by-side table of one device run: the native PyTorch path (bench/native, JSON files) and
chameleon-j's TornadoVM backend (chameleon.tornado.GpuBench, its RESULT line), with ours/native ratios.

Usage: side_by_side.py OUT_DIR   (reads OUT_DIR/native-bench-{flash,cudnn}.json and OUT_DIR/gpubench-MODE.log for
each of our kernel modes (vendor, java; OUT_DIR/gpubench.log counts as the java mode of older runs), writes
OUT_DIR/side-by-side.json and prints the table, then the `ratio vendor X.XX` / `ratio java X.XX` line of
bench/RESULTS.md: later chunk, ours over the faster native variant). Only numbers from this one run are used.
"""
import json
import os
import sys


def load_native(out, attn):
    path = os.path.join(out, f"native-bench-{attn}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        d = json.load(f)
    return {
        "card": d.get("card"),
        "forward_first_ms": d["forward_ms"]["first_chunk_window"]["median"],
        "forward_full_ms": d["forward_ms"]["full_window"]["median"],
        "chunk_ms": d["later_chunks_median_ms"],
        "first_chunk_ms": d.get("first_chunk_ms"),
        "peak_gib": d.get("peak_gpu_memory_gib"),
    }


def load_ours(out, mode):
    path = os.path.join(out, f"gpubench-{mode}.log")
    if not os.path.exists(path) and mode == "java":
        path = os.path.join(out, "gpubench.log")
    if not os.path.exists(path):
        return None
    result = None
    with open(path) as f:
        for line in f:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT "):])
    if result is None:
        return None
    layers = result["layers"]
    scale = 30 / layers  # GpuBench labels its x30 figures as extrapolated when it measured fewer blocks
    def per_model(key):
        v = result.get(key)
        return None if v is None else v * scale * 1000.0
    return {
        "device": result.get("device"),
        "layers_measured": layers,
        "extrapolated": layers != 30,
        "mode": result.get("kernels", "java (" + result.get("gemm", "?") + " GEMM)"),
        "path": result.get("path"),
        "forward_first_ms": per_model("first_chunk_window_median_s"),
        "forward_full_ms": per_model("full_window_median_s"),
        "chunk_ms": per_model("chunk_s"),
        "first_forward_s": result.get("first_forward_s"),
        "gpu_memory_used_gib": result.get("gpu_memory_used_gib"),
    }


def main():
    out = sys.argv[1]
    natives = {a: load_native(out, a) for a in ("flash", "cudnn")}
    modes = {m: load_ours(out, m) for m in ("vendor", "java")}
    rows = [("DiT forward, first-chunk window (4 400 KV)", "forward_first_ms"),
            ("DiT forward, full window (20 240 KV)", "forward_full_ms"),
            ("later chunk (5 forwards)", "chunk_ms")]
    card = next((n["card"] for n in natives.values() if n), None)
    lines = [f"side by side on {card} (one device run; ours: DiT device-resident, 30 blocks unless said)"]
    table = []
    ratios = {}
    for mode, ours in modes.items():
        if not ours:
            lines.append(f"ours --kernels {mode}: not run")
            continue
        lines.append(f"ours --kernels {mode}: {ours['mode']}" + (f", {ours['layers_measured']} of 30 blocks measured, "
                     "x30 extrapolated" if ours["extrapolated"] else "") + f" on {ours['device']}")
        lines.append(f"  {'figure':44s} {'ours ms':>10s} {'flash ms':>10s} {'cuDNN ms':>10s} {'ours/flash':>11s} {'ours/cuDNN':>11s}")
        for label, key in rows:
            o = ours.get(key)
            f = natives["flash"][key] if natives["flash"] else None
            c = natives["cudnn"][key] if natives["cudnn"] else None
            def fmt(v):
                return f"{v:10.1f}" if v is not None else f"{'-':>10s}"
            def ratio(a, b):
                return f"{a / b:10.2f}x" if a is not None and b else f"{'-':>11s}"
            lines.append(f"  {label:44s} {fmt(o)} {fmt(f)} {fmt(c)} {ratio(o, f)} {ratio(o, c)}")
            table.append({"mode": mode, "figure": label, "ours_ms": o, "native_flash_ms": f, "native_cudnn_ms": c,
                          "ours_over_flash": o / f if o is not None and f else None,
                          "ours_over_cudnn": o / c if o is not None and c else None})
            if key == "chunk_ms" and o is not None:
                best = min(v for v in (f, c) if v) if (f or c) else None
                if best:
                    ratios[mode] = o / best
        lines.append(f"  first forward incl. graphs, JIT and weight upload ({ours['layers_measured']} blocks): "
                     f"{ours['first_forward_s']:.2f} s")
        if ours.get("gpu_memory_used_gib") is not None:
            peak = natives["flash"] and natives["flash"].get("peak_gib")
            lines.append(f"  GPU memory in use after the run (nvidia-smi): {ours['gpu_memory_used_gib']:.1f} GiB"
                         + (f"; native peak allocated {peak:.1f} GiB" if peak else ""))
    if ratios:
        lines.append("RESULTS.md line: " + ", ".join(f"ratio {m} {r:.2f}" for m, r in ratios.items())
                     + " (later chunk, ours / faster native variant)")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out, "side-by-side.json"), "w") as f:
        json.dump({"card": card, "ours": modes, "native": natives, "table": table, "ratios": ratios, "text": text},
                  f, indent=1)


if __name__ == "__main__":
    main()
