#!/usr/bin/env python3
"""Side-by-side table of one device run: the native PyTorch path (bench/native, JSON files) and
chameleon-j's TornadoVM backend (chameleon.tornado.GpuBench, its RESULT line), with ours/native ratios.

Usage: side_by_side.py OUT_DIR   (reads OUT_DIR/native-bench-{flash,cudnn}.json, OUT_DIR/gpubench-MODE.log for
each of our kernel modes (vendor, java; OUT_DIR/gpubench.log counts as the java mode of older runs),
OUT_DIR/vaebench.log (our VAE decoder, the same in both modes) and OUT_DIR/gpumem-PART.txt (peak MiB in use that
run-side-by-side.sh sampled with nvidia-smi while each of ours ran), writes
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
        "chunk_tflops": (d.get("tflops") or {}).get("later_chunks_median"),
        "vae_later_frame_ms": (d.get("vae_decode") or {}).get("later_frame_median_ms"),
        "vae_frame0_ms": (d.get("vae_decode") or {}).get("frame0_ms"),
        "vae_peak_gib": (d.get("vae_decode") or {}).get("peak_gpu_memory_gib"),
        "vae_later_frame_tflop": ((d.get("vae_decode") or {}).get("tflop") or {}).get("later_frame"),
    }


def result_line(path):
    """The last `RESULT {json}` line of a log, or None."""
    if not os.path.exists(path):
        return None
    result = None
    with open(path) as f:
        for line in f:
            if line.startswith("RESULT {"):
                result = json.loads(line[len("RESULT "):])
    return result


def peak_gib(out, part):
    """Peak device memory in use (nvidia-smi, MiB → GiB) sampled while one of our runs ran, or None."""
    path = os.path.join(out, f"gpumem-{part}.txt")
    try:
        with open(path) as f:
            return float(f.read().strip()) / 1024.0
    except (OSError, ValueError):
        return None


def load_vae(out):
    r = result_line(os.path.join(out, "vaebench.log"))
    if r is None or r.get("later_frame_median_s") is None:
        return None
    return {
        "device": r.get("device"),
        "conv": r.get("conv"),
        "later_frame_ms": r["later_frame_median_s"] * 1000.0,
        "later_frames_s": r.get("later_frames_s"),
        "frame0_warm_ms": None if r.get("frame0_warm_s") is None else r["frame0_warm_s"] * 1000.0,
        "frame0_cold_s": r.get("frame0_cold_s"),
        "later_frame_cold_s": r.get("later_frame_cold_s"),
        "non_finite_pixels": r.get("non_finite_pixels"),
        "peak_gib": peak_gib(out, "vae"),
    }


def load_ours(out, mode):
    path = os.path.join(out, f"gpubench-{mode}.log")
    if not os.path.exists(path) and mode == "java":
        path = os.path.join(out, "gpubench.log")
    result = result_line(path)
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
        "peak_gib": peak_gib(out, mode),
        # GpuBench's chunk_tflops counts 5 full-window forwards (MODEL.md 5) over the later-chunk time
        "chunk_tflops": result.get("chunk_tflops") if layers == 30 else None,
    }


def fps(chunk_ms, vae_frame_ms=None):
    """Pixel frames per second of a later chunk (12 frames = 3 latent frames), with its VAE decode if given."""
    if chunk_ms is None:
        return None
    return 12 / ((chunk_ms + (3 * vae_frame_ms if vae_frame_ms is not None else 0)) / 1e3)


def main():
    out = sys.argv[1]
    natives = {a: load_native(out, a) for a in ("flash", "cudnn")}
    modes = {m: load_ours(out, m) for m in ("vendor", "java")}
    vae = load_vae(out)
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
        if vae:
            f = natives["flash"] and natives["flash"].get("vae_later_frame_ms")
            lines.append(f"  {'VAE decode, later latent frame (4 px frames)':44s} {vae['later_frame_ms']:10.1f} "
                         + (f"{f:10.1f} {'-':>10s} {vae['later_frame_ms'] / f:10.2f}x" if f else f"{'-':>10s} {'-':>10s} {'-':>11s}")
                         + f" {'-':>11s}")
            table.append({"mode": mode, "figure": "VAE decode per later latent frame", "ours_ms": vae["later_frame_ms"],
                          "native_flash_ms": f, "native_cudnn_ms": None,
                          "ours_over_flash": vae["later_frame_ms"] / f if f else None, "ours_over_cudnn": None})
        best = min((n for n in natives.values() if n and n.get("chunk_ms")), key=lambda n: n["chunk_ms"], default=None)
        nvae = natives["flash"] and natives["flash"].get("vae_later_frame_ms")
        ours["fps_dit"] = fps(ours["chunk_ms"])
        ours["fps_dit_vae"] = fps(ours["chunk_ms"], vae["later_frame_ms"]) if vae else None
        if ours["fps_dit"] is not None:
            lines.append(f"  FPS, later chunks (12 frames), DiT only: ours {ours['fps_dit']:.2f}"
                         + (f", native {fps(best['chunk_ms']):.2f} (faster variant)" if best else ""))
        if ours["fps_dit_vae"] is not None:
            lines.append(f"  FPS, later chunks, DiT + VAE decode one after the other: ours {ours['fps_dit_vae']:.2f}"
                         + (f", native {fps(best['chunk_ms'], nvae):.2f}" if best and nvae else ""))
        if ours.get("chunk_tflops") is not None:
            nt = best and best.get("chunk_tflops")
            lines.append(f"  achieved TFLOP/s, later chunk (MODEL.md 5 FLOPs): ours {ours['chunk_tflops']:.1f} "
                         f"({100 * ours['chunk_tflops'] / 989:.1f} % of the bf16 peak 989)"
                         + (f", native {nt:.1f} ({100 * nt / 989:.1f} %)" if nt else ""))
        lines.append(f"  first forward incl. graphs, JIT and weight upload ({ours['layers_measured']} blocks): "
                     f"{ours['first_forward_s']:.2f} s")
        peak = natives["flash"] and natives["flash"].get("peak_gib")
        if ours.get("peak_gib") is not None:
            lines.append(f"  peak GPU memory, DiT run (nvidia-smi every 200 ms, CUDA context included): {ours['peak_gib']:.1f} GiB"
                         + (f"; native DiT peak allocated (torch, context excluded) {peak:.1f} GiB" if peak else ""))
        elif ours.get("gpu_memory_used_gib") is not None:
            lines.append(f"  GPU memory in use after the run (nvidia-smi): {ours['gpu_memory_used_gib']:.1f} GiB"
                         + (f"; native peak allocated {peak:.1f} GiB" if peak else ""))
    if vae:
        nf = natives["flash"] or {}
        lines.append(f"ours VAE decoder (VaeBench, device-resident, conv {vae['conv']}, the same in both kernel modes): "
                     f"later latent frame median {vae['later_frame_ms']:.1f} ms of {vae['later_frames_s']} s"
                     + (f" (native {nf['vae_later_frame_ms']:.1f} ms)" if nf.get("vae_later_frame_ms") else "")
                     + (f"; frame 0 warm {vae['frame0_warm_ms']:.1f} ms" if vae.get("frame0_warm_ms") is not None else "")
                     + (f" (native {nf['vae_frame0_ms']:.1f} ms)" if nf.get("vae_frame0_ms") else "")
                     + f"; first two frames incl. graph build and JIT {vae['frame0_cold_s']:.1f} s + {vae['later_frame_cold_s']:.1f} s"
                     + (f"; peak GPU memory {vae['peak_gib']:.1f} GiB (nvidia-smi)" if vae.get("peak_gib") is not None else "")
                     + (f" / native {nf['vae_peak_gib']:.1f} GiB (torch)" if nf.get("vae_peak_gib") else "")
                     + (f"; NON-FINITE PIXELS {vae['non_finite_pixels']}" if vae.get("non_finite_pixels") else ""))
        t = nf.get("vae_later_frame_tflop")
        if t:
            lines.append(f"  VAE TFLOP/s (native's FLOP count {t:.1f} TFLOP per later frame): ours {t / vae['later_frame_ms'] * 1e3:.1f}, "
                         f"native {t / nf['vae_later_frame_ms'] * 1e3:.1f}")
    else:
        lines.append("ours VAE decoder: not run")
    if ratios:
        lines.append("RESULTS.md line: " + ", ".join(f"ratio {m} {r:.2f}" for m, r in ratios.items())
                     + " (later chunk, ours / faster native variant)")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out, "side-by-side.json"), "w") as f:
        json.dump({"card": card, "ours": modes, "ours_vae": vae, "native": natives, "table": table, "ratios": ratios,
                   "text": text},
                  f, indent=1)


if __name__ == "__main__":
    main()
