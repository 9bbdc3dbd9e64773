package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.MMAShape;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The VAE's {@code CausalConv3d} (and the Resample's Conv2d) on channels-last volumes, as an implicit GEMM
 * {@code y[p, co] = Σ_k A[p, k]·W[co, k]} (no bias: {@link FrameKernels#biasRows} adds it) with the causal feature
 * cache read in place (MODEL.md §3.4):
 * <ul>
 *   <li>x [T, H, W, Cin] is the call's input; {@code cache} [n ≤ 2, H, W, Cin] the last input frames of earlier
 *       calls. The convolution sees the frames [FRONT − n zero frames, cache, x] (FRONT = kt − 1 for a causal
 *       kernel, 0 for 1×1×1), so nothing is concatenated.</li>
 *   <li>{@code UP} = 1 reads x through a nearest ×2 spatial upsampling (the Resample's {@code upsample2d}
 *       before {@code resample.1}): source pixel (iy/2, ix/2), so the upsampled volume is never stored.</li>
 *   <li>{@code STRIDE} is the spatial stride: output pixel (oy, ox) reads input rows STRIDE·oy − PAD_H + dy and columns
 *       STRIDE·ox − PAD_W + dx. PAD_H / PAD_W are the zero rows / columns before the input; those after it need no
 *       number (a read past the last row or column is padding), H_OUT / W_OUT say how far the output goes. The
 *       encoder's downsampling ({@code ZeroPad2d((0, 1, 0, 1))} + 3×3 stride 2) is PAD 0, STRIDE 2; every other
 *       convolution has STRIDE 1.</li>
 *   <li>K is ordered tap-major, channel-minor: k = ((dt·kh + dy)·kw + dx)·cinPad + ci with cinPad = Cin rounded up
 *       to 32, so one k-step of 32 columns stays inside one tap and its 32 channels are contiguous in x.</li>
 * </ul>
 * Every size comes from {@code geo[at …]} ({@link #GEO} ints) at run time; grids are sized for the largest call,
 * and work beyond the live positions does nothing. y is [positions, ldy] with ldy = Cout rounded up to 128.
 */
public final class CausalConvKernels {
    /** Offsets into a convolution's geometry. */
    public static final int CIN = 0, CIN_PAD = 1, T_IN = 2, H_SRC = 3, W_SRC = 4, UP = 5, CACHED = 6, FRONT = 7,
            KT = 8, KH = 9, KW = 10, PAD_H = 11, PAD_W = 12, T_OUT = 13, H_OUT = 14, W_OUT = 15, POSITIONS = 16,
            COUT = 17, STRIDE = 18;
    /** Ints of one convolution's geometry. */
    public static final int GEO = 19;

    private CausalConvKernels() {
    }

    /**
     * On tensor cores (fp16 operands, fp32 accumulation), the block structure of
     * {@link MmaGemmKernels#mma128x128k32w64x32}: 128×128 output tile per work group of 256 threads, k-step 32,
     * warp tile 64×32, two shared-memory stages. The A tile is gathered from x/cache (converted to fp16 on the
     * way) instead of read pre-tiled; the positions of a thread's four rows are decoded once, and the tap of a
     * k-step is advanced by counters, so the gather costs no division inside the k loop.
     * Global size (⌈positions/128⌉·256, ldy/128), local (256, 1).
     *
     * @param wt   stacked B tiles of every convolution (MmaLinear's layout), this one at {@code wOff} ints
     * @param y    [positions rounded up to 128, ldy] raw accumulators
     */
    public static void convMma(KernelContext ctx, FloatArray x, FloatArray cache, IntArray wt, FloatArray y, IntArray geo,
                               int at, int wOff, int kSteps, int ldy) {
        int tid = ctx.localIdx;
        int rowBlock = ctx.groupIdx;
        int colBlock = ctx.groupIdy;
        int positions = geo.get(at + POSITIONS);
        if (rowBlock * 128 < positions) {
            int warp = tid >> 5;
            int wm = warp / 4;
            int wn = warp - wm * 4;
            int[] aTile = ctx.allocateIntLocalArray(4096);
            int[] bTile = ctx.allocateIntLocalArray(4096);
            float[] c0_0 = ctx.mmaFragment(0f); float[] c0_1 = ctx.mmaFragment(0f); float[] c0_2 = ctx.mmaFragment(0f); float[] c0_3 = ctx.mmaFragment(0f);
            float[] c1_0 = ctx.mmaFragment(0f); float[] c1_1 = ctx.mmaFragment(0f); float[] c1_2 = ctx.mmaFragment(0f); float[] c1_3 = ctx.mmaFragment(0f);
            float[] c2_0 = ctx.mmaFragment(0f); float[] c2_1 = ctx.mmaFragment(0f); float[] c2_2 = ctx.mmaFragment(0f); float[] c2_3 = ctx.mmaFragment(0f);
            float[] c3_0 = ctx.mmaFragment(0f); float[] c3_1 = ctx.mmaFragment(0f); float[] c3_2 = ctx.mmaFragment(0f); float[] c3_3 = ctx.mmaFragment(0f);
            int cin = geo.get(at + CIN), cinPad = geo.get(at + CIN_PAD), hs = geo.get(at + H_SRC), ws = geo.get(at + W_SRC);
            int up = geo.get(at + UP), n = geo.get(at + CACHED), zeros = geo.get(at + FRONT) - n;
            int kh = geo.get(at + KH), kw = geo.get(at + KW), padH = geo.get(at + PAD_H), padW = geo.get(at + PAD_W);
            int hOut = geo.get(at + H_OUT), wOut = geo.get(at + W_OUT);
            int hu = hs << up, wu = ws << up;
            int plane = hOut * wOut;
            // The thread's rows tid/8 + 32q (q = 0..3) and its column pair 2·(tid&7) (+16 in the second slab).
            int r = rowBlock * 128 + (tid >> 3);
            int p0 = r, p1 = r + 32, p2 = r + 64, p3 = r + 96;
            int t0 = p0 / plane, t1 = p1 / plane, t2 = p2 / plane, t3 = p3 / plane;
            int y0 = (p0 - t0 * plane) / wOut, y1 = (p1 - t1 * plane) / wOut, y2 = (p2 - t2 * plane) / wOut, y3 = (p3 - t3 * plane) / wOut;
            int x0 = p0 - t0 * plane - y0 * wOut, x1 = p1 - t1 * plane - y1 * wOut;
            int x2 = p2 - t2 * plane - y2 * wOut, x3 = p3 - t3 * plane - y3 * wOut;
            // Input row and column of each row's first tap: stride·(oy, ox) − pad.
            int stride = geo.get(at + STRIDE);
            int iy0 = y0 * stride - padH, iy1 = y1 * stride - padH, iy2 = y2 * stride - padH, iy3 = y3 * stride - padH;
            int ix0 = x0 * stride - padW, ix1 = x1 * stride - padW, ix2 = x2 * stride - padW, ix3 = x3 * stride - padW;
            int col = 2 * (tid & 7);
            int bBase = wOff + colBlock * kSteps * 2048 + tid;
            int aWarp = wm * 2048;
            int bWarp = wn * 1024;
            // k-step 0 into stage 0, then each iteration prefetches k-step ks + 1 into registers (the last one reloads
            // itself), multiplies stage ks & 1 and stores the prefetch into the idle stage: the loop body stays
            // unconditional, as the CUDA backend cannot assign MMA fragments inside a branch.
            int ca = col, cb = col + 16;
            int u0 = t0 - zeros, u1 = t1 - zeros, u2 = t2 - zeros, u3 = t3 - zeros;
            int s0 = source(p0, positions, u0, iy0, ix0, n, hu, wu, up, hs, ws, cin);
            int s1 = source(p1, positions, u1, iy1, ix1, n, hu, wu, up, hs, ws, cin);
            int s2 = source(p2, positions, u2, iy2, ix2, n, hu, wu, up, hs, ws, cin);
            int s3 = source(p3, positions, u3, iy3, ix3, n, hu, wu, up, hs, ws, cin);
            aTile[tid + 0] = pair(x, cache, s0, u0 < n, ca, cin);
            aTile[tid + 256] = pair(x, cache, s1, u1 < n, ca, cin);
            aTile[tid + 512] = pair(x, cache, s2, u2 < n, ca, cin);
            aTile[tid + 768] = pair(x, cache, s3, u3 < n, ca, cin);
            aTile[tid + 1024] = pair(x, cache, s0, u0 < n, cb, cin);
            aTile[tid + 1280] = pair(x, cache, s1, u1 < n, cb, cin);
            aTile[tid + 1536] = pair(x, cache, s2, u2 < n, cb, cin);
            aTile[tid + 1792] = pair(x, cache, s3, u3 < n, cb, cin);
            bTile[tid + 0] = wt.get(bBase + 0);
            bTile[tid + 256] = wt.get(bBase + 256);
            bTile[tid + 512] = wt.get(bBase + 512);
            bTile[tid + 768] = wt.get(bBase + 768);
            bTile[tid + 1024] = wt.get(bBase + 1024);
            bTile[tid + 1280] = wt.get(bBase + 1280);
            bTile[tid + 1536] = wt.get(bBase + 1536);
            bTile[tid + 1792] = wt.get(bBase + 1792);
            ctx.localBarrier();
            // Tap and channel block of the next k-step to load (k-step 1).
            int ci0 = 32, dt = 0, dy = 0, dx = 0;
            if (ci0 == cinPad) {
                ci0 = 0;
                dx = 1;
                if (dx == kw) {
                    dx = 0;
                    dy = 1;
                    if (dy == kh) {
                        dy = 0;
                        dt = 1;
                    }
                }
            }
            for (int ks = 0; ks < kSteps; ks++) {
                int cur = ks & 1;
                boolean more = ks + 1 < kSteps; // past the last k-step the idle stage is loaded but never read
                int nxt = more ? ks + 1 : ks;
                ca = ci0 + col;
                cb = ca + 16;
                u0 = t0 + dt - zeros;
                u1 = t1 + dt - zeros;
                u2 = t2 + dt - zeros;
                u3 = t3 + dt - zeros;
                s0 = more ? source(p0, positions, u0, iy0 + dy, ix0 + dx, n, hu, wu, up, hs, ws, cin) : -1;
                s1 = more ? source(p1, positions, u1, iy1 + dy, ix1 + dx, n, hu, wu, up, hs, ws, cin) : -1;
                s2 = more ? source(p2, positions, u2, iy2 + dy, ix2 + dx, n, hu, wu, up, hs, ws, cin) : -1;
                s3 = more ? source(p3, positions, u3, iy3 + dy, ix3 + dx, n, hu, wu, up, hs, ws, cin) : -1;
                int pa0 = pair(x, cache, s0, u0 < n, ca, cin);
                int pa1 = pair(x, cache, s1, u1 < n, ca, cin);
                int pa2 = pair(x, cache, s2, u2 < n, ca, cin);
                int pa3 = pair(x, cache, s3, u3 < n, ca, cin);
                int pa4 = pair(x, cache, s0, u0 < n, cb, cin);
                int pa5 = pair(x, cache, s1, u1 < n, cb, cin);
                int pa6 = pair(x, cache, s2, u2 < n, cb, cin);
                int pa7 = pair(x, cache, s3, u3 < n, cb, cin);
                int gb = bBase + nxt * 2048;
                int pb0 = wt.get(gb + 0);
                int pb1 = wt.get(gb + 256);
                int pb2 = wt.get(gb + 512);
                int pb3 = wt.get(gb + 768);
                int pb4 = wt.get(gb + 1024);
                int pb5 = wt.get(gb + 1280);
                int pb6 = wt.get(gb + 1536);
                int pb7 = wt.get(gb + 1792);
                if (more) {
                    ci0 += 32;
                    if (ci0 == cinPad) {
                        ci0 = 0;
                        dx++;
                        if (dx == kw) {
                            dx = 0;
                            dy++;
                            if (dy == kh) {
                                dy = 0;
                                dt++;
                            }
                        }
                    }
                }
                int aStage = cur * 8192 + aWarp;
                int bStage = cur * 8192 + bWarp;
                HalfFloat[] a0 = ctx.mmaLoadA(aTile, 16, aStage + 0);
                HalfFloat[] a1 = ctx.mmaLoadA(aTile, 16, aStage + 512);
                HalfFloat[] a2 = ctx.mmaLoadA(aTile, 16, aStage + 1024);
                HalfFloat[] a3 = ctx.mmaLoadA(aTile, 16, aStage + 1536);
                HalfFloat[] b0 = ctx.mmaLoadB(bTile, 16, bStage + 0);
                HalfFloat[] b1 = ctx.mmaLoadB(bTile, 16, bStage + 256);
                HalfFloat[] b2 = ctx.mmaLoadB(bTile, 16, bStage + 512);
                HalfFloat[] b3 = ctx.mmaLoadB(bTile, 16, bStage + 768);
                c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
                c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
                c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
                c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
                c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
                c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
                c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
                c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
                c2_0 = ctx.mma(a2, b0, c2_0, MMAShape.M16N8K16);
                c2_1 = ctx.mma(a2, b1, c2_1, MMAShape.M16N8K16);
                c2_2 = ctx.mma(a2, b2, c2_2, MMAShape.M16N8K16);
                c2_3 = ctx.mma(a2, b3, c2_3, MMAShape.M16N8K16);
                c3_0 = ctx.mma(a3, b0, c3_0, MMAShape.M16N8K16);
                c3_1 = ctx.mma(a3, b1, c3_1, MMAShape.M16N8K16);
                c3_2 = ctx.mma(a3, b2, c3_2, MMAShape.M16N8K16);
                c3_3 = ctx.mma(a3, b3, c3_3, MMAShape.M16N8K16);
                a0 = ctx.mmaLoadA(aTile, 16, aStage + 4096);
                a1 = ctx.mmaLoadA(aTile, 16, aStage + 4608);
                a2 = ctx.mmaLoadA(aTile, 16, aStage + 5120);
                a3 = ctx.mmaLoadA(aTile, 16, aStage + 5632);
                b0 = ctx.mmaLoadB(bTile, 16, bStage + 4096);
                b1 = ctx.mmaLoadB(bTile, 16, bStage + 4352);
                b2 = ctx.mmaLoadB(bTile, 16, bStage + 4608);
                b3 = ctx.mmaLoadB(bTile, 16, bStage + 4864);
                c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
                c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
                c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
                c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
                c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
                c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
                c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
                c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
                c2_0 = ctx.mma(a2, b0, c2_0, MMAShape.M16N8K16);
                c2_1 = ctx.mma(a2, b1, c2_1, MMAShape.M16N8K16);
                c2_2 = ctx.mma(a2, b2, c2_2, MMAShape.M16N8K16);
                c2_3 = ctx.mma(a2, b3, c2_3, MMAShape.M16N8K16);
                c3_0 = ctx.mma(a3, b0, c3_0, MMAShape.M16N8K16);
                c3_1 = ctx.mma(a3, b1, c3_1, MMAShape.M16N8K16);
                c3_2 = ctx.mma(a3, b2, c3_2, MMAShape.M16N8K16);
                c3_3 = ctx.mma(a3, b3, c3_3, MMAShape.M16N8K16);
                int idle = (1 - cur) * 2048 + tid;
                aTile[idle + 0] = pa0;
                aTile[idle + 256] = pa1;
                aTile[idle + 512] = pa2;
                aTile[idle + 768] = pa3;
                aTile[idle + 1024] = pa4;
                aTile[idle + 1280] = pa5;
                aTile[idle + 1536] = pa6;
                aTile[idle + 1792] = pa7;
                bTile[idle + 0] = pb0;
                bTile[idle + 256] = pb1;
                bTile[idle + 512] = pb2;
                bTile[idle + 768] = pb3;
                bTile[idle + 1024] = pb4;
                bTile[idle + 1280] = pb5;
                bTile[idle + 1536] = pb6;
                bTile[idle + 1792] = pb7;
                ctx.localBarrier();
            }
            int r0 = rowBlock * 128 + wm * 64;
            int cc = colBlock * 128 + wn * 32;
            ctx.mmaStore(c0_0, y, r0 + 0, cc + 0, ldy);
            ctx.mmaStore(c0_1, y, r0 + 0, cc + 8, ldy);
            ctx.mmaStore(c0_2, y, r0 + 0, cc + 16, ldy);
            ctx.mmaStore(c0_3, y, r0 + 0, cc + 24, ldy);
            ctx.mmaStore(c1_0, y, r0 + 16, cc + 0, ldy);
            ctx.mmaStore(c1_1, y, r0 + 16, cc + 8, ldy);
            ctx.mmaStore(c1_2, y, r0 + 16, cc + 16, ldy);
            ctx.mmaStore(c1_3, y, r0 + 16, cc + 24, ldy);
            ctx.mmaStore(c2_0, y, r0 + 32, cc + 0, ldy);
            ctx.mmaStore(c2_1, y, r0 + 32, cc + 8, ldy);
            ctx.mmaStore(c2_2, y, r0 + 32, cc + 16, ldy);
            ctx.mmaStore(c2_3, y, r0 + 32, cc + 24, ldy);
            ctx.mmaStore(c3_0, y, r0 + 48, cc + 0, ldy);
            ctx.mmaStore(c3_1, y, r0 + 48, cc + 8, ldy);
            ctx.mmaStore(c3_2, y, r0 + 48, cc + 16, ldy);
            ctx.mmaStore(c3_3, y, r0 + 48, cc + 24, ldy);
        }
    }

    /**
     * Element index of channel 0 of the source pixel of output position p (< positions) at virtual frame u, row iy,
     * column ix of the (upsampled) input, in x (u ≥ n: frame u − n) or in the cache (u < n: frame u); −1 when that
     * pixel is padding (u &lt; 0, or outside the frame).
     */
    private static int source(int p, int positions, int u, int iy, int ix, int n, int hu, int wu, int up, int hs, int ws,
                              int cin) {
        int base = -1;
        if (p < positions && u >= 0 && iy >= 0 && iy < hu && ix >= 0 && ix < wu) {
            int frame = u < n ? u : u - n;
            base = ((frame * hs + (iy >> up)) * ws + (ix >> up)) * cin;
        }
        return base;
    }

    /** Channels c, c + 1 at {@code base} (x, or the cache when {@code fromCache}) as packed fp16; 0 for padding. */
    private static int pair(FloatArray x, FloatArray cache, int base, boolean fromCache, int c, int cin) {
        float a = 0f;
        float b = 0f;
        if (base >= 0 && c < cin) {
            if (fromCache) {
                a = cache.get(base + c);
                b = cache.get(base + c + 1);
            } else {
                a = x.get(base + c);
                b = x.get(base + c + 1);
            }
        }
        return HalfKernels.pack(a, b);
    }

    /**
     * The same convolution in fp32 on any device (PoCL in CI; {@code -Dchameleon.tornado.conv=fp32} on the GPU): a
     * thread per (position, output channel), weights {@code w} [Cout, kPad] in the tap-major order, this
     * convolution's at {@code wOff}.
     */
    public static void convF32(FloatArray x, FloatArray cache, FloatArray w, FloatArray y, IntArray geo, int at, int wOff,
                               int posCap, int cOutCap, int kPad, int ldy) {
        for (@Parallel int p = 0; p < posCap; p++) {
            for (@Parallel int co = 0; co < cOutCap; co++) {
                int positions = geo.get(at + POSITIONS);
                if (p < positions && co < geo.get(at + COUT)) {
                    int cin = geo.get(at + CIN), cinPad = geo.get(at + CIN_PAD), hs = geo.get(at + H_SRC), ws = geo.get(at + W_SRC);
                    int up = geo.get(at + UP), n = geo.get(at + CACHED), zeros = geo.get(at + FRONT) - n;
                    int kt = geo.get(at + KT), kh = geo.get(at + KH), kw = geo.get(at + KW);
                    int padH = geo.get(at + PAD_H), padW = geo.get(at + PAD_W);
                    int hOut = geo.get(at + H_OUT), wOut = geo.get(at + W_OUT);
                    int plane = hOut * wOut;
                    int t = p / plane, oy = (p - t * plane) / wOut, ox = p - t * plane - oy * wOut;
                    int stride = geo.get(at + STRIDE);
                    float acc = 0f;
                    int tap = 0;
                    for (int dt = 0; dt < kt; dt++) {
                        for (int dy = 0; dy < kh; dy++) {
                            for (int dx = 0; dx < kw; dx++) {
                                int u = t + dt - zeros;
                                int base = source(p, positions, u, oy * stride - padH + dy, ox * stride - padW + dx, n, hs << up, ws << up, up, hs, ws, cin);
                                if (base >= 0) {
                                    int wRow = wOff + co * kPad + tap * cinPad;
                                    if (u < n) {
                                        for (int c = 0; c < cin; c++) {
                                            acc += w.get(wRow + c) * cache.get(base + c);
                                        }
                                    } else {
                                        for (int c = 0; c < cin; c++) {
                                            acc += w.get(wRow + c) * x.get(base + c);
                                        }
                                    }
                                }
                                tap++;
                            }
                        }
                    }
                    y.set(p * ldy + co, acc);
                }
            }
        }
    }
}
