#!/usr/bin/env python3
"""Writes the PIL parity fixtures for chameleon.runtime.io (PilResampler, ImageFit, ImagePad, ImageLoader).

Run from the repository root with a Python that has Pillow (Debian: apt-get install python3-pil):
    /usr/bin/python3 runtime/src/test/python/make_pil_fixtures.py
It writes small synthetic sources and what the reference preprocessing (ImageOps.fit / ImageOps.pad after
Image.open(...).convert("RGB")) makes of them, plus cases.tsv listing every case.
"""
import os
import PIL
from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "chameleon", "runtime", "io", "pil")


class Lcg:
    """A tiny deterministic generator, so the sources do not depend on Python's random module."""

    def __init__(self, seed):
        self.state = seed

    def next(self, n):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (self.state >> 33) % n


def synthetic(w, h, seed):
    """Gradients, hard edges (a disc and a bar, which make Lanczos ring and clip) and noise."""
    rng = Lcg(seed)
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            r = x * 255 // max(1, w - 1)
            g = y * 255 // max(1, h - 1)
            b = 128 + rng.next(16) - 8
            if (x - w / 3) ** 2 + (y - h / 2) ** 2 < (min(w, h) / 4) ** 2:
                r, g, b = 255, 255, 255
            if w * 2 // 3 <= x < w * 2 // 3 + max(1, w // 10):
                r, g, b = 0, 0, 0
            if rng.next(11) == 0:
                r, g, b = rng.next(256), rng.next(256), rng.next(256)
            px[x, y] = (r, g, b)
    return im


def main():
    os.makedirs(OUT, exist_ok=True)
    sources = {
        "a": synthetic(37, 53, 1),
        "b": synthetic(240, 160, 2),
        "f": synthetic(64, 128, 3),
    }
    gray = synthetic(41, 29, 4).convert("L")
    sources["c"] = gray
    sources["d"] = synthetic(25, 40, 5).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    for name, im in sources.items():
        im.save(os.path.join(OUT, f"src_{name}.png"))
    synthetic(60, 45, 6).save(os.path.join(OUT, "src_e.jpg"), quality=90)
    # A CMYK JPEG as Photoshop-like tools write them (Adobe APP14 marker, inverted samples): C, M, Y
    # ramps under a K ramp, so PIL's CMYK -> RGB formula is exercised over its range.
    cmyk = Image.new("CMYK", (32, 16))
    px = cmyk.load()
    for y in range(16):
        for x in range(32):
            px[x, y] = (x * 8, 255 - x * 8, y * 16, (x + y) * 5)
    cmyk.save(os.path.join(OUT, "cmyk.jpg"), quality=95)

    lanczos, bicubic = Image.Resampling.LANCZOS, Image.Resampling.BICUBIC
    cases = [
        ("fit_a_16x32_lanczos", "src_a.png", "fit", lanczos, 16, 32),
        ("pad_a_32x16_lanczos", "src_a.png", "pad", lanczos, 32, 16),
        ("pad_a_32x16_bicubic", "src_a.png", "pad", bicubic, 32, 16),
        ("fit_a_48x80_lanczos", "src_a.png", "fit", lanczos, 48, 80),
        ("fit_a_48x80_bicubic", "src_a.png", "fit", bicubic, 48, 80),
        ("pad_a_64x48_bicubic", "src_a.png", "pad", bicubic, 64, 48),
        ("fit_b_64x112_lanczos", "src_b.png", "fit", lanczos, 64, 112),
        ("pad_b_64x112_bicubic", "src_b.png", "pad", bicubic, 64, 112),
        ("pad_b_64x112_lanczos", "src_b.png", "pad", lanczos, 64, 112),
        ("fit_b_240x120_lanczos", "src_b.png", "fit", lanczos, 240, 120),
        ("fit_b_96x176_lanczos", "src_b.png", "fit", lanczos, 96, 176),
        ("fit_c_16x16_lanczos", "src_c.png", "fit", lanczos, 16, 16),
        ("pad_d_32x32_bicubic", "src_d.png", "pad", bicubic, 32, 32),
        ("fit_f_32x64_lanczos", "src_f.png", "fit", lanczos, 32, 64),
        ("fit_e_32x16_lanczos", "src_e.jpg", "fit", lanczos, 32, 16),
    ]
    with open(os.path.join(OUT, "cases.tsv"), "w") as manifest:
        manifest.write(f"# Pillow {PIL.__version__}: name\tsource\top\tfilter\twidth\theight\n")
        for name, src, op, method, w, h in cases:
            im = Image.open(os.path.join(OUT, src)).convert("RGB")
            if op == "fit":
                out = ImageOps.fit(im, (w, h), method=method, centering=(0.5, 0.5))
            else:
                out = ImageOps.pad(im, (w, h), method=method, color=(255, 255, 255), centering=(0.5, 0.5))
            assert out.size == (w, h), (name, out.size)
            out.save(os.path.join(OUT, name + ".png"))
            manifest.write(f"{name}\t{src}\t{op}\t{method.name}\t{w}\t{h}\n")
        # How PIL itself decodes the JPEG source, to measure decoder (not resampler) differences.
        Image.open(os.path.join(OUT, "src_e.jpg")).convert("RGB").save(os.path.join(OUT, "decoded_e.png"))
        manifest.write("decoded_e\tsrc_e.jpg\tdecode\tNONE\t60\t45\n")
        Image.open(os.path.join(OUT, "cmyk.jpg")).convert("RGB").save(os.path.join(OUT, "decoded_cmyk.png"))
        manifest.write("decoded_cmyk\tcmyk.jpg\tdecode\tNONE\t32\t16\n")


if __name__ == "__main__":
    main()
