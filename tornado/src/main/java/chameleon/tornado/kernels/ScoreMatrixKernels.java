package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The operand staging and the softmax of attention as two tensor-core GEMMs over a score matrix kept in device
 * memory ({@code plan.ScoreMatrixAttention}): per head h, S_h = (scale·Q_h)·K_hᵀ and O_h = softmax(S_h)·V_h, both run
 * by {@link MmaGemmKernels#mma128x128k32w64x32} batched over the heads. TornadoVM's MMA accumulators are opaque, so
 * FlashAttention's rescaling of a running output is out of reach (MmaAttentionKernels); here no accumulator is ever
 * rescaled: the softmax runs between the two products, on S in memory.
 * <p>
 * Layouts (head dim 128; B tiles as {@code MmaLinear.putTiles} writes weights: [n/128][k/32][2 slabs][16 sub-tiles of
 * 8 n][16 k][4 pairs], an int = fp16(B[n][k]) | fp16(B[n + 1][k]) ≪ 16, n even; A tiles as
 * {@link MmaGemmKernels#toHalfTiles} writes x: [m/128][k/32][2 slabs][128 rows][16 halves]):
 * <ul>
 *   <li>K tiles, the B operand of S (n = key, k = d): head h at {@code h·keyPad·64} ints, keyPad = cap rounded
 *       up to 128;</li>
 *   <li>V tiles, the B operand of O (n = d, k = key): head h at {@code h·keySteps·32·64} ints, keySteps = ⌈cap/32⌉;</li>
 *   <li>P tiles, the A operand of O (m = query, k = key): head h at {@code h·lq·keySteps·32} halves.</li>
 * </ul>
 * Keys of the window past its length are zero in the K and V tiles, and P is zero there up to the next multiple of
 * 32 (the last k-step the O product runs).
 */
public final class ScoreMatrixKernels {
    /** The largest work group that normalises one score row ({@link #softmaxTiles}): its local arrays' size. */
    public static final int SOFTMAX_THREADS = 1024;

    private ScoreMatrixKernels() {
    }

    /**
     * K window → B tiles: for every head h, key pair (2j, 2j + 1) of the window and d, the int of keys rows
     * from + 2j and from + 2j + 1 (0 past the window's length). One thread per int: consecutive threads read
     * consecutive d of one cache row.
     *
     * @param k      [rows, heads, 128] F32 (the stacked cache; only the window is read)
     * @param tiles  [heads, keyPad·64] ints
     * @param window {from, to}: absolute rows of k
     * @param keyPad keys of a head's tiles (a multiple of 128, ≥ to − from)
     */
    public static void packKeyTiles(FloatArray k, IntArray tiles, IntArray window, int heads, int keyPad) {
        for (@Parallel int i = 0; i < heads * (keyPad / 2) * 128; i++) {
            int h = i / ((keyPad / 2) * 128);
            int e = i - h * ((keyPad / 2) * 128);
            int key = (e >> 7) * 2;
            int d = e & 127;
            int from = window.get(0);
            int len = window.get(1) - from;
            float k0 = 0f;
            float k1 = 0f;
            if (key < len) {
                k0 = k.get(((from + key) * heads + h) * 128 + d);
            }
            if (key + 1 < len) {
                k1 = k.get(((from + key + 1) * heads + h) * 128 + d);
            }
            tiles.set(h * (keyPad * 64) + MmaGemmKernels.bTileInt(key, d, 4), HalfKernels.pack(k0, k1));
        }
    }

    /**
     * V window → B tiles of n = d, k = key: for every head h, key j of the window and d pair (2p, 2p + 1), the
     * int of row from + j (0 past the window's length). One thread per int: consecutive threads read consecutive
     * d pairs of one cache row.
     *
     * @param v        [rows, heads, 128] F32
     * @param tiles    [heads, keySteps·32·64] ints
     * @param keySteps k-steps of 32 keys a head's tiles hold (≥ ⌈(to − from)/32⌉)
     */
    public static void packValueTiles(FloatArray v, IntArray tiles, IntArray window, int heads, int keySteps) {
        for (@Parallel int i = 0; i < heads * keySteps * 32 * 64; i++) {
            int h = i / (keySteps * 32 * 64);
            int e = i - h * (keySteps * 32 * 64);
            int key = e >> 6;
            int d = (e & 63) * 2;
            int from = window.get(0);
            int len = window.get(1) - from;
            float v0 = 0f;
            float v1 = 0f;
            if (key < len) {
                int g = ((from + key) * heads + h) * 128 + d;
                v0 = v.get(g);
                v1 = v.get(g + 1);
            }
            tiles.set(h * (keySteps * 32 * 64) + MmaGemmKernels.bTileInt(d, key, keySteps), HalfKernels.pack(v0, v1));
        }
    }

    /**
     * P = softmax(S) row by row, into the A tiles of the O product: for score row (h, r), the window's
     * to − from scores from column 0 of S's row h·lq + r; p = exp(s − max)/Σ exp(s − max) for the window's keys and
     * 0 up to the next multiple of 32. A work group of {@code threads} (≤ {@link #SOFTMAX_THREADS}) a row (global
     * size heads·lq·threads): each thread keeps a running (max, sum) over its strided columns, four loads at a time,
     * the pairs merge in a tree in local memory, then the row is read again to write p. A wide work group keeps fewer
     * rows in flight, so that the second read can find the row in L2 (20 240 keys on the H100: 7.67 ms at 256 threads,
     * 4.13 at 1 024).
     *
     * @param s        [heads·lq, ldS] F32 scores (already scaled: q was)
     * @param p        [heads, lq·keySteps·32] fp16 A tiles
     * @param keySteps k-steps of 32 keys the tiles hold
     * @param threads  the work group's size, a power of two ≤ {@link #SOFTMAX_THREADS}
     */
    public static void softmaxTiles(KernelContext ctx, FloatArray s, HalfFloatArray p, IntArray window, int lq, int ldS,
                                    int keySteps, int threads) {
        int row = ctx.groupIdx;           // h·lq + r
        int h = row / lq;
        int r = row - h * lq;
        int tid = ctx.localIdx;
        int len = window.get(1) - window.get(0);
        float[] maxes = ctx.allocateFloatLocalArray(SOFTMAX_THREADS);
        float[] sums = ctx.allocateFloatLocalArray(SOFTMAX_THREADS);
        int base = row * ldS;
        float m = -3.0e38f;
        float l = 0f;
        // columns c, c + threads, c + 2·threads, c + 3·threads: four independent loads, then one rescale
        for (int c = tid; c < len; c += 4 * threads) {
            float x0 = s.get(base + c);
            float x1 = x0;
            float x2 = x0;
            float x3 = x0;
            if (c + threads < len) {
                x1 = s.get(base + c + threads);
            }
            if (c + 2 * threads < len) {
                x2 = s.get(base + c + 2 * threads);
            }
            if (c + 3 * threads < len) {
                x3 = s.get(base + c + 3 * threads);
            }
            float mc = TornadoMath.max(TornadoMath.max(x0, x1), TornadoMath.max(x2, x3));
            if (mc > m) {
                l = l * TornadoMath.exp(m - mc);
                m = mc;
            }
            // a column past len repeats x0 and counts 0
            float e = TornadoMath.exp(x0 - m);
            if (c + threads < len) {
                e += TornadoMath.exp(x1 - m);
            }
            if (c + 2 * threads < len) {
                e += TornadoMath.exp(x2 - m);
            }
            if (c + 3 * threads < len) {
                e += TornadoMath.exp(x3 - m);
            }
            l += e;
        }
        maxes[tid] = m;
        sums[tid] = l;
        ctx.localBarrier();
        // (written out here: a local array passed to a helper method compiles to an invalid address on TornadoVM's CUDA backend)
        for (int stride = threads / 2; stride > 0; stride /= 2) {
            if (tid < stride) {
                float m1 = maxes[tid];
                float m2 = maxes[tid + stride];
                float mm = TornadoMath.max(m1, m2);
                sums[tid] = sums[tid] * TornadoMath.exp(m1 - mm) + sums[tid + stride] * TornadoMath.exp(m2 - mm);
                maxes[tid] = mm;
            }
            ctx.localBarrier();
        }
        float rowMax = maxes[0];
        float inv = 1f / sums[0];
        int out = h * (lq * keySteps * 32);
        int padded = (len + 31) / 32 * 32;
        // two columns a step, both loads issued before either exp so that two are in flight
        for (int c = tid; c < padded; c += 2 * threads) {
            float x0 = 0f;
            float x1 = 0f;
            if (c < len) {
                x0 = s.get(base + c);
            }
            if (c + threads < len) {
                x1 = s.get(base + c + threads);
            }
            if (c < len) {
                x0 = TornadoMath.exp(x0 - rowMax) * inv;
            }
            if (c + threads < len) {
                x1 = TornadoMath.exp(x1 - rowMax) * inv;
            }
            p.set(out + MmaGemmKernels.aTileHalf(r, c, keySteps), new HalfFloat(x0));
            if (c + threads < padded) {
                p.set(out + MmaGemmKernels.aTileHalf(r, c + threads, keySteps), new HalfFloat(x1));
            }
        }
    }
}
