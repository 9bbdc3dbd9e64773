package chameleon.tensor.cpu;

import chameleon.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3-D convolution as an implicit GEMM: {@code y[co, p] = Σ_k w[co, k] · col[k, p]} where k runs over
 * (ci, dt, dh, dw) and p over the output pixels of one output frame.
 *
 * <p>The im2col matrix is never built for a whole frame. A task owns one output frame, a tile of
 * {@link #PB} consecutive output pixels and a block of {@link #CB} output channels; it walks K in
 * chunks of {@link #KC}, gathering just a [KC, PB] slice of the patch matrix and a packed [CB, KC]
 * slice of the weights (widened to float here, so BF16/F16 checkpoints work unchanged), and runs a
 * 4-channel × 2-vector register-tiled micro-kernel over it. Memory per thread is a few hundred KB
 * whatever the frame size. Accumulation is fp32.
 */
final class Conv3d {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int PB = 8 * V;  // output pixels per tile (a multiple of the 2-vector micro-tile)
    private static final int CB = 64;     // output channels per task (a multiple of 4)
    private static final int KC = 256;    // reduction depth per gathered slice

    /** Per-thread scratch: the patch slice, the packed weight slice, the accumulator tile, a weight row. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {
        new float[KC * PB], new float[CB * KC], new float[CB * PB], new float[KC]});

    private Conv3d() {
    }

    static Tensor conv3d(Tensor x, Tensor w, Tensor bias, int strideT, int strideH, int strideW,
                         int padTop, int padBottom, int padLeft, int padRight) {
        if (x.shape().rank() != 4 || w.shape().rank() != 5 || x.dim(0) != w.dim(1)) {
            throw new IllegalArgumentException("conv3d: x " + x.shape() + " and w " + w.shape()
                    + " must be [Cin, T, H, W] and [Cout, Cin, kt, kh, kw]");
        }
        if (strideT < 1 || strideH < 1 || strideW < 1 || padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
            throw new IllegalArgumentException("conv3d: strides must be ≥ 1 and padding ≥ 0");
        }
        Geometry g = new Geometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3), w.dim(4),
                strideT, strideH, strideW, padTop, padBottom, padLeft, padRight);
        if (g.tOut < 1 || g.hOut < 1 || g.wOut < 1) {
            throw new IllegalArgumentException("conv3d: input " + x.shape() + " is smaller than kernel " + w.shape()
                    + " with padding (" + padTop + "," + padBottom + "," + padLeft + "," + padRight + ")");
        }
        if (bias != null && bias.numel() != g.cOut) {
            throw new IllegalArgumentException("conv3d: bias " + bias.shape() + " must have " + g.cOut + " elements");
        }
        float[] b = bias == null ? null : bias.toFloatArray();
        Tensor xf = x.toF32();
        float[] xa = xf.array();
        int xo = xf.arrayOffset();
        Tensor y = Tensor.zeros(g.cOut, g.tOut, g.hOut, g.wOut);
        float[] ya = y.array();
        int pixels = g.hOut * g.wOut;
        int pTiles = (pixels + PB - 1) / PB, cBlocks = (g.cOut + CB - 1) / CB;
        CpuParallel.forEach(g.tOut * pTiles * cBlocks, task -> {
            int cb = task % cBlocks, rest = task / cBlocks;
            int pt = rest % pTiles, t = rest / pTiles;
            tile(g, xa, xo, w, b, ya, t, pt * PB, Math.min(PB, pixels - pt * PB), cb * CB, Math.min(CB, g.cOut - cb * CB));
        });
        return y;
    }

    private record Geometry(int cIn, int tIn, int hIn, int wIn, int cOut, int kt, int kh, int kw,
                            int st, int sh, int sw, int padTop, int padBottom, int padLeft, int padRight,
                            int tOut, int hOut, int wOut, int k) {
        Geometry(int cIn, int tIn, int hIn, int wIn, int cOut, int kt, int kh, int kw,
                 int st, int sh, int sw, int padTop, int padBottom, int padLeft, int padRight) {
            this(cIn, tIn, hIn, wIn, cOut, kt, kh, kw, st, sh, sw, padTop, padBottom, padLeft, padRight,
                    Math.floorDiv(tIn - kt, st) + 1,
                    Math.floorDiv(hIn + padTop + padBottom - kh, sh) + 1,
                    Math.floorDiv(wIn + padLeft + padRight - kw, sw) + 1,
                    cIn * kt * kh * kw);
        }
    }

    /** Output frame t, pixels [p0, p0+np) of that frame, channels [c0, c0+nc). */
    private static void tile(Geometry g, float[] x, int xo, Tensor w, float[] bias, float[] y,
                             int t, int p0, int np, int c0, int nc) {
        float[][] scratch = SCRATCH.get();
        float[] col = scratch[0], packed = scratch[1], acc = scratch[2], wRow = scratch[3];
        int groups = (nc + 3) / 4;
        java.util.Arrays.fill(acc, 0, groups * 4 * PB, 0f);
        for (int k0 = 0; k0 < g.k; k0 += KC) {
            int kc = Math.min(KC, g.k - k0);
            gatherPatches(g, x, xo, t, p0, np, k0, kc, col);
            packWeights(w, g.k, c0, nc, k0, kc, packed, wRow);
            // Pixel columns outer: a [kc, 2V] strip of col stays in L1 while the packed weights stream.
            for (int p = 0; p < np; p += 2 * V) {
                for (int grp = 0; grp < groups; grp++) {
                    microKernel(col, packed, grp * 4 * kc, acc, grp * 4 * PB + p, kc, p);
                }
            }
        }
        int plane = g.tOut * g.hOut * g.wOut, frame = t * g.hOut * g.wOut + p0;
        for (int c = 0; c < nc; c++) {
            float bc = bias == null ? 0f : bias[c0 + c];
            int yo = (c0 + c) * plane + frame, ao = c * PB;
            for (int p = 0; p < np; p++) {
                y[yo + p] = acc[ao + p] + bc;
            }
        }
    }

    /**
     * acc[r, p .. p+2V) += Σ_kk packed[kk, r] · col[kk, p .. p+2V) for the 4 channels r of one group;
     * acc rows are PB apart, col rows PB apart, packed holds [kc][4].
     */
    private static void microKernel(float[] col, float[] packed, int wp, float[] acc, int ap, int kc, int p) {
        FloatVector a00 = FloatVector.fromArray(S, acc, ap), a01 = FloatVector.fromArray(S, acc, ap + V);
        FloatVector a10 = FloatVector.fromArray(S, acc, ap + PB), a11 = FloatVector.fromArray(S, acc, ap + PB + V);
        FloatVector a20 = FloatVector.fromArray(S, acc, ap + 2 * PB), a21 = FloatVector.fromArray(S, acc, ap + 2 * PB + V);
        FloatVector a30 = FloatVector.fromArray(S, acc, ap + 3 * PB), a31 = FloatVector.fromArray(S, acc, ap + 3 * PB + V);
        for (int kk = 0, co = p, wo = wp; kk < kc; kk++, co += PB, wo += 4) {
            FloatVector b0 = FloatVector.fromArray(S, col, co), b1 = FloatVector.fromArray(S, col, co + V);
            FloatVector w0 = FloatVector.broadcast(S, packed[wo]);
            a00 = b0.fma(w0, a00);
            a01 = b1.fma(w0, a01);
            FloatVector w1 = FloatVector.broadcast(S, packed[wo + 1]);
            a10 = b0.fma(w1, a10);
            a11 = b1.fma(w1, a11);
            FloatVector w2 = FloatVector.broadcast(S, packed[wo + 2]);
            a20 = b0.fma(w2, a20);
            a21 = b1.fma(w2, a21);
            FloatVector w3 = FloatVector.broadcast(S, packed[wo + 3]);
            a30 = b0.fma(w3, a30);
            a31 = b1.fma(w3, a31);
        }
        a00.intoArray(acc, ap);
        a01.intoArray(acc, ap + V);
        a10.intoArray(acc, ap + PB);
        a11.intoArray(acc, ap + PB + V);
        a20.intoArray(acc, ap + 2 * PB);
        a21.intoArray(acc, ap + 2 * PB + V);
        a30.intoArray(acc, ap + 3 * PB);
        a31.intoArray(acc, ap + 3 * PB + V);
    }

    /**
     * col[kk, p] = x[ci, t·st + dt, oh·sh + dh − padTop, ow·sw + dw − padLeft] for k = k0 + kk =
     * ((ci·kt + dt)·kh + dh)·kw + dw and output pixel p0 + p = oh·wOut + ow; zero outside the input
     * and for p ≥ np.
     */
    private static void gatherPatches(Geometry g, float[] x, int xo, int t, int p0, int np, int k0, int kc, float[] col) {
        int khw = g.kh * g.kw, kthw = g.kt * khw;
        for (int kk = 0; kk < kc; kk++) {
            int k = k0 + kk;
            int ci = k / kthw, r = k % kthw, dt = r / khw, dh = (r % khw) / g.kw, dw = r % g.kw;
            int frame = xo + (ci * g.tIn + t * g.st + dt) * g.hIn * g.wIn;
            int row = kk * PB;
            int p = 0;
            while (p < np) {
                int pix = p0 + p, oh = pix / g.wOut, ow = pix % g.wOut;
                int run = Math.min(np - p, g.wOut - ow); // the rest of this output row inside the tile
                int ih = oh * g.sh + dh - g.padTop;
                if (ih < 0 || ih >= g.hIn) {
                    java.util.Arrays.fill(col, row + p, row + p + run, 0f);
                } else if (g.sw == 1) {
                    // Input columns iw = ow + j + dw − padLeft: a contiguous run, zero where it leaves the row.
                    int src = frame + ih * g.wIn, iw0 = ow + dw - g.padLeft;
                    int lo = Math.max(0, -iw0), hi = Math.min(run, g.wIn - iw0);
                    if (hi <= lo) {
                        java.util.Arrays.fill(col, row + p, row + p + run, 0f);
                    } else {
                        java.util.Arrays.fill(col, row + p, row + p + lo, 0f);
                        System.arraycopy(x, src + iw0 + lo, col, row + p + lo, hi - lo);
                        java.util.Arrays.fill(col, row + p + hi, row + p + run, 0f);
                    }
                } else {
                    int src = frame + ih * g.wIn;
                    for (int j = 0; j < run; j++) {
                        int iw = (ow + j) * g.sw + dw - g.padLeft;
                        col[row + p + j] = iw >= 0 && iw < g.wIn ? x[src + iw] : 0f;
                    }
                }
                p += run;
            }
            java.util.Arrays.fill(col, row + np, row + PB, 0f);
        }
    }

    /** packed[grp][kk][r] = w[c0 + 4·grp + r, k0 + kk] widened to float; zero for channels ≥ nc. */
    private static void packWeights(Tensor w, int k, int c0, int nc, int k0, int kc, float[] packed, float[] wRow) {
        int groups = (nc + 3) / 4;
        for (int c = 0; c < groups * 4; c++) {
            int base = (c / 4) * 4 * kc + (c % 4);
            if (c < nc) {
                w.readFloats((long) (c0 + c) * k + k0, wRow, 0, kc);
                for (int kk = 0; kk < kc; kk++) {
                    packed[base + 4 * kk] = wRow[kk];
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    packed[base + 4 * kk] = 0f;
                }
            }
        }
    }
}
