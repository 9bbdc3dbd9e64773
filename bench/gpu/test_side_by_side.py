#!/usr/bin/env python3
"""Checks side_by_side.py on a synthetic run folder: ratios, FPS with and without the VAE, sampled peaks and
the RESULTS.md line are computed from the logs as documented (run by chameleon-tests: python3 -m unittest)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class SideBySideTest(unittest.TestCase):
    def run_table(self, with_vae=True):
        d = tempfile.mkdtemp()
        native = {"card": "NVIDIA H100 80GB HBM3",
                  "forward_ms": {"first_chunk_window": {"median": 90.0}, "full_window": {"median": 130.0}},
                  "later_chunks_median_ms": 600.0, "first_chunk_ms": 450.0, "peak_gpu_memory_gib": 16.5,
                  "tflops": {"later_chunks_median": 400.0},
                  "vae_decode": {"later_frame_median_ms": 180.0, "frame0_ms": 50.0, "peak_gpu_memory_gib": 9.0,
                                 "tflop": {"later_frame": 36.0}}}
        write(os.path.join(d, "native-bench-flash.json"), json.dumps(native))
        cudnn = dict(native, later_chunks_median_ms=500.0)
        cudnn.pop("vae_decode")
        write(os.path.join(d, "native-bench-cudnn.json"), json.dumps(cudnn))
        ours = {"layers": 30, "kernels": "vendor", "device": "NVIDIA H100 80GB HBM3 (CUDA)",
                "first_chunk_window_median_s": 0.3, "full_window_median_s": 0.35, "chunk_s": 1.5,
                "chunk_tflops": 160.0, "first_forward_s": 30.0}
        write(os.path.join(d, "gpubench-vendor.log"), "noise\nRESULT " + json.dumps(ours) + "\n")
        write(os.path.join(d, "gpumem-vendor.txt"), "25600\n")
        if with_vae:
            vae = {"device": "H100", "conv": "mma", "frame0_cold_s": 40.0, "later_frame_cold_s": 5.0,
                   "later_frames_s": [0.7, 0.72, 0.68, 0.71], "later_frame_median_s": 0.705, "frame0_warm_s": 0.2,
                   "non_finite_pixels": 0}
            write(os.path.join(d, "vaebench.log"), "frame 0 ...\nRESULT " + json.dumps(vae) + "\n")
            write(os.path.join(d, "gpumem-vae.txt"), "12288\n")
        out = subprocess.run([sys.executable, os.path.join(HERE, "side_by_side.py"), d], capture_output=True,
                             text=True, check=True).stdout
        with open(os.path.join(d, "side-by-side.json")) as f:
            return out, json.load(f)

    def test_ratios_fps_and_peaks(self):
        text, result = self.run_table()
        # later chunk over the faster native variant (cuDNN 500 ms): 1500 / 500
        self.assertAlmostEqual(result["ratios"]["vendor"], 3.0)
        self.assertIn("ratio vendor 3.00", text)
        vendor = result["ours"]["vendor"]
        self.assertAlmostEqual(vendor["fps_dit"], 12 / 1.5)
        self.assertAlmostEqual(vendor["fps_dit_vae"], 12 / (1.5 + 3 * 0.705))
        self.assertAlmostEqual(vendor["peak_gib"], 25.0)
        self.assertAlmostEqual(result["ours_vae"]["peak_gib"], 12.0)
        vae_row = [r for r in result["table"] if r["figure"] == "VAE decode per later latent frame"][0]
        self.assertAlmostEqual(vae_row["ours_over_flash"], 705.0 / 180.0)
        # native FPS with its VAE: the faster chunk (cuDNN) plus three flash-run VAE frames
        self.assertIn(f"native {12 / ((500 + 3 * 180) / 1e3):.2f}", text)
        self.assertIn("java: not run", text)

    def test_without_vae_log(self):
        text, result = self.run_table(with_vae=False)
        self.assertIsNone(result["ours_vae"])
        self.assertIsNone(result["ours"]["vendor"]["fps_dit_vae"])
        self.assertIn("ours VAE decoder: not run", text)


if __name__ == "__main__":
    unittest.main()
