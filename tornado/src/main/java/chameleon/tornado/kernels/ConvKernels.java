package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * 3-D convolution (PyTorch's {@code Conv3d} cross-correlation) of a channel-first volume as an
 * implicit GEMM: {@code y[co, p] = Σ_k w[co, k] · x[patch(p, k)] + b[co]}, k over (ci, dt, dh, dw),
 * p over every output position (t, oh, ow). The patch matrix is never built: each thread gathers
 * the input values it needs straight from x [Cin, T, H, W], with zeros for the spatial padding.
 *
 * <p>Register tile: a thread owns 4 output channels × 4 output positions and streams K once, so each
 * gathered input value feeds 4 channels and each weight value 4 positions (16 FMAs per 8 loads). The
 * 4 positions of a thread are {@code pt + j·tiles} (j = 0..3, tiles = ⌈P/4⌉), so neighbouring threads
 * read neighbouring pixels (coalesced on the GPU). Edge positions/channels are clamped and not stored.
 *
 * <p>Every size comes from {@code g} at run time ({@link #GEOMETRY} ints), so one compiled plan serves
 * every convolution whose buffers fit its capacities; the loop bounds are those capacities. Weights
 * arrive in checkpoint dtype: {@code g[W_MODE]} = 0 reads F32 from {@code wf}, 1 BF16 bits and 2 F16
 * bits from {@code wh}, widened in the kernel ({@link GemmKernels#bf16ToFloat}); the unused array is
 * a 1-element dummy. One kernel for all three dtypes: the mode branch is uniform across threads.
 */
public final class ConvKernels {
    /** Indices into the geometry array {@code g}. */
    public static final int C_IN = 0, T_IN = 1, H_IN = 2, W_IN = 3, C_OUT = 4, KT = 5, KH = 6, KW = 7,
            ST = 8, SH = 9, SW = 10, PAD_TOP = 11, PAD_LEFT = 12, T_OUT = 13, H_OUT = 14, W_OUT = 15, W_MODE = 16;
    /** Length of {@code g}. */
    public static final int GEOMETRY = 17;
    /** Output channels and output positions per thread. */
    public static final int TILE = 4;

    private ConvKernels() {
    }

    /**
     * x [Cin, T, H, W], w [Cout, Cin, kt, kh, kw] (wf or wh), b [Cout] → y [Cout, tOut, hOut, wOut].
     *
     * @param pixelTiles capacity of the position-tile loop (≥ ⌈tOut·hOut·wOut / 4⌉)
     * @param chanTiles  capacity of the channel-tile loop (≥ ⌈Cout / 4⌉)
     */
    public static void conv3d(FloatArray x, FloatArray wf, ShortArray wh, FloatArray pow2, FloatArray b, FloatArray y,
                              IntArray g, int pixelTiles, int chanTiles) {
        for (@Parallel int pt = 0; pt < pixelTiles; pt++) {
            for (@Parallel int ct = 0; ct < chanTiles; ct++) {
                int cIn = g.get(C_IN), tIn = g.get(T_IN), hIn = g.get(H_IN), wIn = g.get(W_IN), cOut = g.get(C_OUT);
                int kt = g.get(KT), kh = g.get(KH), kw = g.get(KW);
                int hOut = g.get(H_OUT), wOut = g.get(W_OUT);
                int plane = hOut * wOut;
                int positions = g.get(T_OUT) * plane;
                int tiles = (positions + 3) / 4;
                int c0 = ct * 4;
                if (pt < tiles && c0 < cOut) {
                    int st = g.get(ST), sh = g.get(SH), sw = g.get(SW), padTop = g.get(PAD_TOP), padLeft = g.get(PAD_LEFT);
                    int mode = g.get(W_MODE);
                    int kLen = cIn * kt * kh * kw;
                    // The thread's 4 positions (clamped at the end) → first input frame / row / column.
                    int p0 = pt, p1 = pt + tiles < positions ? pt + tiles : positions - 1;
                    int p2 = pt + 2 * tiles < positions ? pt + 2 * tiles : positions - 1;
                    int p3 = pt + 3 * tiles < positions ? pt + 3 * tiles : positions - 1;
                    int t0 = (p0 / plane) * st, t1 = (p1 / plane) * st, t2 = (p2 / plane) * st, t3 = (p3 / plane) * st;
                    int h0 = ((p0 % plane) / wOut) * sh - padTop, h1 = ((p1 % plane) / wOut) * sh - padTop;
                    int h2 = ((p2 % plane) / wOut) * sh - padTop, h3 = ((p3 % plane) / wOut) * sh - padTop;
                    int v0 = (p0 % wOut) * sw - padLeft, v1 = (p1 % wOut) * sw - padLeft;
                    int v2 = (p2 % wOut) * sw - padLeft, v3 = (p3 % wOut) * sw - padLeft;
                    // The thread's 4 weight rows (clamped at the last channel).
                    int r0 = c0 * kLen;
                    int r1 = (c0 + 1 < cOut ? c0 + 1 : cOut - 1) * kLen;
                    int r2 = (c0 + 2 < cOut ? c0 + 2 : cOut - 1) * kLen;
                    int r3 = (c0 + 3 < cOut ? c0 + 3 : cOut - 1) * kLen;
                    float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                    float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                    float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                    float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                    int k = 0;
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int dt = 0; dt < kt; dt++) {
                            // Time is never padded (the caller prepends frames), so frames are in range.
                            int f0 = (ci * tIn + t0 + dt) * hIn, f1 = (ci * tIn + t1 + dt) * hIn;
                            int f2 = (ci * tIn + t2 + dt) * hIn, f3 = (ci * tIn + t3 + dt) * hIn;
                            for (int dh = 0; dh < kh; dh++) {
                                int ih0 = h0 + dh, ih1 = h1 + dh, ih2 = h2 + dh, ih3 = h3 + dh;
                                for (int dw = 0; dw < kw; dw++) {
                                    int iw0 = v0 + dw, iw1 = v1 + dw, iw2 = v2 + dw, iw3 = v3 + dw;
                                    float u0 = ih0 >= 0 && ih0 < hIn && iw0 >= 0 && iw0 < wIn ? x.get((f0 + ih0) * wIn + iw0) : 0f;
                                    float u1 = ih1 >= 0 && ih1 < hIn && iw1 >= 0 && iw1 < wIn ? x.get((f1 + ih1) * wIn + iw1) : 0f;
                                    float u2 = ih2 >= 0 && ih2 < hIn && iw2 >= 0 && iw2 < wIn ? x.get((f2 + ih2) * wIn + iw2) : 0f;
                                    float u3 = ih3 >= 0 && ih3 < hIn && iw3 >= 0 && iw3 < wIn ? x.get((f3 + ih3) * wIn + iw3) : 0f;
                                    float w0 = weight(wf, wh, pow2, mode, r0 + k);
                                    float w1 = weight(wf, wh, pow2, mode, r1 + k);
                                    float w2 = weight(wf, wh, pow2, mode, r2 + k);
                                    float w3 = weight(wf, wh, pow2, mode, r3 + k);
                                    a00 += w0 * u0; a01 += w0 * u1; a02 += w0 * u2; a03 += w0 * u3;
                                    a10 += w1 * u0; a11 += w1 * u1; a12 += w1 * u2; a13 += w1 * u3;
                                    a20 += w2 * u0; a21 += w2 * u1; a22 += w2 * u2; a23 += w2 * u3;
                                    a30 += w3 * u0; a31 += w3 * u1; a32 += w3 * u2; a33 += w3 * u3;
                                    k++;
                                }
                            }
                        }
                    }
                    storeChannel(y, b, c0, positions, pt, tiles, a00, a01, a02, a03);
                    if (c0 + 1 < cOut) {
                        storeChannel(y, b, c0 + 1, positions, pt, tiles, a10, a11, a12, a13);
                    }
                    if (c0 + 2 < cOut) {
                        storeChannel(y, b, c0 + 2, positions, pt, tiles, a20, a21, a22, a23);
                    }
                    if (c0 + 3 < cOut) {
                        storeChannel(y, b, c0 + 3, positions, pt, tiles, a30, a31, a32, a33);
                    }
                }
            }
        }
    }

    /** Weight element i widened to float: F32 (mode 0), BF16 bits (1) or F16 bits (2). */
    private static float weight(FloatArray wf, ShortArray wh, FloatArray pow2, int mode, int i) {
        float v;
        if (mode == 0) {
            v = wf.get(i);
        } else if (mode == 1) {
            v = GemmKernels.bf16ToFloat(wh.get(i), pow2);
        } else {
            v = GemmKernels.f16ToFloat(wh.get(i), pow2);
        }
        return v;
    }

    /** Stores channel c at the thread's positions pt + j·tiles that exist, plus the bias. */
    private static void storeChannel(FloatArray y, FloatArray b, int c, int positions, int pt, int tiles,
                                     float s0, float s1, float s2, float s3) {
        int row = c * positions;
        float bias = b.get(c);
        y.set(row + pt, s0 + bias);
        if (pt + tiles < positions) {
            y.set(row + pt + tiles, s1 + bias);
        }
        if (pt + 2 * tiles < positions) {
            y.set(row + pt + 2 * tiles, s2 + bias);
        }
        if (pt + 3 * tiles < positions) {
            y.set(row + pt + 3 * tiles, s3 + bias);
        }
    }

    // ---- conv3d on tensor cores (plan/MmaConv): explicit im2col into MmaGemmKernels' A tiles ----

    /**
     * One slab of the patch matrix of x in fp16, in {@link MmaGemmKernels}' A-tile layout (block height
     * {@code bm}, k-steps of any multiple of 16): slab row r is output position {@code p = slab[0] + r}
     * (t, oy, ox over [tOut, hOut, wOut]), column c is tap (ci, dt, dy, dx) of the weight's [Cout, Cin·kt·kh·kw]
     * view, so {@code A[r, c] = x[ci, t·st + dt, oy·sh + dy − padTop, ox·sw + dx − padLeft]} (0 outside H×W,
     * past the last position and past K). Element (r, c) lives at
     * {@code ((r/bm)·(kPad/16) + c/16)·bm·16 + (r%bm)·16 + c%16}, as {@link MmaGemmKernels#toHalfTiles} writes it.
     *
     * <p>Thread i owns the 16 columns {@code [16j, 16j+16)} of row r, i = j·rows + r: its 16 halves are one
     * contiguous 32-byte run, neighbouring threads take neighbouring positions (reads along a row of x
     * coalesce), and the tap (ci, dt, dy, dx) is divided out once and then stepped.
     *
     * @param xv   x [Cin, T, H, W] already in fp16
     * @param g    geometry ({@link #GEOMETRY} ints; W_MODE unused)
     * @param rows slab rows (a multiple of bm); {@code kPad} the padded K (a multiple of 16)
     */
    public static void im2colTiles(HalfFloatArray xv, HalfFloatArray xh, IntArray g, IntArray slab, int rows, int kPad, int bm) {
        for (@Parallel int i = 0; i < rows * (kPad >> 4); i++) {
            int j = i / rows;
            int r = i - j * rows;
            int cIn = g.get(C_IN), tIn = g.get(T_IN), hIn = g.get(H_IN), wIn = g.get(W_IN);
            int kt = g.get(KT), kh = g.get(KH), kw = g.get(KW);
            int hOut = g.get(H_OUT), wOut = g.get(W_OUT);
            int plane = hOut * wOut;
            int positions = g.get(T_OUT) * plane;
            int taps = kt * kh * kw;
            int kLen = cIn * taps;
            int p = slab.get(0) + r;
            int pp = p < positions ? p : positions - 1;
            int t = pp / plane;
            int rem = pp - t * plane;
            int oy = rem / wOut;
            int ox = rem - oy * wOut;
            int t0 = t * g.get(ST);
            int y0 = oy * g.get(SH) - g.get(PAD_TOP);
            int x0 = ox * g.get(SW) - g.get(PAD_LEFT);
            int c = j << 4;
            int ci = c / taps;
            int tap = c - ci * taps;
            int dt = tap / (kh * kw);
            int tap2 = tap - dt * kh * kw;
            int dy = tap2 / kw;
            int dx = tap2 - dy * kw;
            int o = ((r / bm) * (kPad >> 4) + j) * bm * 16 + (r - (r / bm) * bm) * 16;
            for (int q = 0; q < 16; q++) {
                int iy = y0 + dy;
                int ix = x0 + dx;
                float v = 0f;
                if (p < positions && c + q < kLen && iy >= 0 && iy < hIn && ix >= 0 && ix < wIn) {
                    v = xv.get(((ci * tIn + t0 + dt) * hIn + iy) * wIn + ix).getFloat32();
                }
                xh.set(o + q, new HalfFloat(v));
                dx++;
                if (dx == kw) {
                    dx = 0;
                    dy++;
                    if (dy == kh) {
                        dy = 0;
                        dt++;
                        if (dt == kt) {
                            dt = 0;
                            ci++;
                        }
                    }
                }
            }
        }
    }

    /**
     * The GEMM's slab output back to channel-first: {@code y[co, p] = yPad[r, co] + b[co]} for slab row r at
     * output position {@code p = slab[0] + r < positions} and {@code co < Cout}. i = co·rows + r, so neighbouring
     * threads write neighbouring positions of y (the yPad reads are the strided side: one 4-byte read per
     * 32-byte sector, L2-served).
     *
     * @param nPad yPad's row length (Cout padded to the GEMM block width)
     */
    public static void scatterBias(FloatArray yPad, FloatArray b, FloatArray y, IntArray g, IntArray slab, int rows, int nPad) {
        for (@Parallel int i = 0; i < rows * nPad; i++) {
            int co = i / rows;
            int r = i - co * rows;
            int positions = g.get(T_OUT) * g.get(H_OUT) * g.get(W_OUT);
            int p = slab.get(0) + r;
            if (co < g.get(C_OUT) && p < positions) {
                y.set(co * positions + p, yPad.get(r * nPad + co) + b.get(co));
            }
        }
    }
}
