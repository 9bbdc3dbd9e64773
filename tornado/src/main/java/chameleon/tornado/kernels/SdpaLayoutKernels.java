package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.vectors.Half2;

/**
 * Layout changes around cuDNN's fused attention (SDPA), whose TornadoVM binding takes F16 tensors packed
 * [heads, seq, dp] (BHSD, batch 1) with sequence lengths fixed when the graph is built. Our q/k/v are F32
 * [seq, heads, d] and the key window {from, to} is chosen at run time, so the keys are packed into a buffer of
 * fixed length cap and the rows past the window are masked through one extra head-dim column: q gets a 1 in
 * column d, a padded key gets {@link #MASK} there (valid keys 0), so a padded key scores scale·MASK (about
 * −5300 for d = 128) and its softmax weight is exactly 0 in F32; padded V rows are 0. cuDNN wants the head dim
 * a multiple of 8, so dp = d + {@link #MASK_COLUMNS}.
 *
 * <p>{@code CudnnCacheAttention} instead reads {@code HalfKvCache}, the stacked cache itself in cuDNN's layout
 * [layers, heads, cap, d] ({@link #writeCacheRows} writes a chunk's rows, {@link #moveCacheRows} rolls), so a full
 * window is read in place at head dim d; a shorter one is packed at its own length ({@link #packWindow}). These run on a
 * fixed grid of {@link RowKernels#MOVE_THREADS} threads striding over the elements, since most executions have
 * nothing (or little) to do.
 *
 * <p>Every kernel moves two adjacent columns a thread (d and dp are even): one 32-bit F16 pair, as
 * {@link StageKernels#stageHalfPairs} does. CUDA backend only: Half2's pair intrinsics are its own, and the OpenCL
 * backend cannot compile F16 stores at all on PoCL.
 */
public final class SdpaLayoutKernels {
    /** Extra head-dim columns: column d carries the mask, the other 7 are 0 (dp stays a multiple of 8). */
    public static final int MASK_COLUMNS = 8;
    /** A padded key's mask column; F16-exact (−1875·32) and far below any real score once scaled. */
    public static final float MASK = -60000f;

    private SdpaLayoutKernels() {
    }

    /** q [lq, heads, d] F32 → qh [heads, lq, dp] F16: the row, then 1 in column d, then zeros. */
    public static void packQuery(FloatArray q, HalfFloatArray qh, int lq, int heads, int d, int dp) {
        int pairs = heads * lq * dp / 2;
        for (@Parallel int p = 0; p < pairs; p++) {
            int i = 2 * p;
            int c = i % dp;
            int r = (i / dp) % lq;
            int h = i / (dp * lq);
            float lo = 0f;
            float hi = 0f;
            if (c < d) {
                int src = (r * heads + h) * d + c;
                lo = q.get(src);
                hi = q.get(src + 1);
            } else if (c == d) {
                lo = 1f;
            }
            qh.setHalf2(i, Half2.fromFloats(lo, hi));
        }
    }

    /**
     * k, v [cap, heads, d] F32, rows [window[0], window[1]) → kh, vh [heads, cap, dp] F16, window row j at row j;
     * rows from the window's length on are padding (mask column {@link #MASK}, V zero).
     */
    public static void packKeys(FloatArray k, FloatArray v, IntArray window, HalfFloatArray kh, HalfFloatArray vh,
                                int cap, int heads, int d, int dp) {
        int pairs = heads * cap * dp / 2;
        for (@Parallel int p = 0; p < pairs; p++) {
            int i = 2 * p;
            int from = window.get(0);
            int length = window.get(1) - from;
            int c = i % dp;
            int j = (i / dp) % cap;
            int h = i / (dp * cap);
            float k0 = 0f;
            float k1 = 0f;
            float v0 = 0f;
            float v1 = 0f;
            if (j < length) {
                if (c < d) {
                    int src = ((from + j) * heads + h) * d + c;
                    k0 = k.get(src);
                    k1 = k.get(src + 1);
                    v0 = v.get(src);
                    v1 = v.get(src + 1);
                }
            } else if (c == d) {
                k0 = MASK;
            }
            kh.setHalf2(i, Half2.fromFloats(k0, k1));
            vh.setHalf2(i, Half2.fromFloats(v0, v1));
        }
    }

    /** oh [heads, lq, dp] F16 → out [lq, heads, d] F32 (the mask columns dropped). */
    public static void unpackOutput(HalfFloatArray oh, FloatArray out, int lq, int heads, int d, int dp) {
        for (@Parallel int p = 0; p < lq * heads * d / 2; p++) {
            int i = 2 * p;
            Half2 o = oh.getHalf2(outputSource(i, lq, heads, d, dp));
            out.set(i, Half2.lowFloat(o));
            out.set(i + 1, Half2.highFloat(o));
        }
    }

    /**
     * oh [heads, lq, dp] F16 → out [lq, heads, d] F16 (the mask columns dropped): the rows an F16-input linear reads
     * ({@code o}, {@code cross_o} through cuBLAS), so no F32 output is written and read back to be rounded again.
     */
    public static void unpackOutputHalf(HalfFloatArray oh, HalfFloatArray out, int lq, int heads, int d, int dp) {
        for (@Parallel int p = 0; p < lq * heads * d / 2; p++) {
            out.setHalf2(2 * p, oh.getHalf2(outputSource(2 * p, lq, heads, d, dp)));
        }
    }

    /** Where element i of the output rows [lq, heads, d] sits in cuDNN's [heads, lq, dp] (inlined into the kernels). */
    private static int outputSource(int i, int lq, int heads, int d, int dp) {
        int c = i % d;
        int h = (i / d) % heads;
        int r = i / (d * heads);
        return (h * lq + r) * dp + c;
    }

    /**
     * Rows [params[srcAt], +params[countAt]) of k, v [·, heads, d] F32 → rows from params[dstAt] (absolute rows of the
     * stacked cache) of kh, vh [layers, heads, cap, d] F16: the chunk's new K/V into {@code HalfKvCache}. Reads
     * coalesced, writes d contiguous halves a row and head.
     */
    public static void writeCacheRows(KernelContext ctx, FloatArray k, FloatArray v, HalfFloatArray kh,
                                      HalfFloatArray vh, IntArray params, int srcAt, int dstAt, int countAt, int cap,
                                      int heads, int d) {
        int rowSize = heads * d;
        int from = params.get(dstAt);
        int src0 = params.get(srcAt) * rowSize;
        int pairs = params.get(countAt) * rowSize / 2;
        for (int p = ctx.globalIdx; p < pairs; p += ctx.globalGroupSizeX) {
            int i = 2 * p;
            int dst = cacheIndex(from + i / rowSize, (i / d) % heads, i % d, cap, heads, d);
            kh.setHalf2(dst, Half2.fromFloats(k.get(src0 + i), k.get(src0 + i + 1)));
            vh.setHalf2(dst, Half2.fromFloats(v.get(src0 + i), v.get(src0 + i + 1)));
        }
    }

    /**
     * Rows [params[srcAt], +params[countAt]) of kh, vh → rows from params[dstAt] of dk, dv, all F16 [layers, heads, cap,
     * d] (absolute rows; a scratch of one layer takes rows [0, count)): the ring buffer's roll, in two calls through a
     * scratch since the ranges may overlap.
     */
    public static void moveCacheRows(KernelContext ctx, HalfFloatArray kh, HalfFloatArray vh, HalfFloatArray dk,
                                     HalfFloatArray dv, IntArray params, int srcAt, int dstAt, int countAt, int cap,
                                     int heads, int d) {
        int count = params.get(countAt);
        int from = params.get(srcAt);
        int to = params.get(dstAt);
        int pairs = count * heads * d / 2;
        for (int p = ctx.globalIdx; p < pairs; p += ctx.globalGroupSizeX) {
            int i = 2 * p;
            int c = i % d;
            int h = (i / d) % heads;
            int j = i / (d * heads);
            int src = cacheIndex(from + j, h, c, cap, heads, d);
            int dst = cacheIndex(to + j, h, c, cap, heads, d);
            dk.setHalf2(dst, kh.getHalf2(src));
            dv.setHalf2(dst, vh.getHalf2(src));
        }
    }

    /**
     * kh, vh [layers, heads, cap, d] F16, rows [window[0], window[1]) (one layer's) → pk, pv [heads, length, d] packed at
     * the window's own length; nothing when the window is a whole layer, which cuDNN reads in place.
     */
    public static void packWindow(KernelContext ctx, HalfFloatArray kh, HalfFloatArray vh, IntArray window,
                                  HalfFloatArray pk, HalfFloatArray pv, int cap, int heads, int d) {
        int from = window.get(0);
        int length = window.get(1) - from;
        int pairs = length * heads * d / 2;
        if (from % cap == 0 && length == cap) {
            pairs = 0;
        }
        for (int p = ctx.globalIdx; p < pairs; p += ctx.globalGroupSizeX) {
            int i = 2 * p;
            int c = i % d;
            int j = (i / d) % length;
            int h = i / (d * length);
            int src = cacheIndex(from + j, h, c, cap, heads, d);
            pk.setHalf2(i, kh.getHalf2(src));
            pv.setHalf2(i, vh.getHalf2(src));
        }
    }

    /** Element (absolute row, head h, column c) of a stacked cache [layers, heads, cap, d] (inlined into the kernels). */
    public static int cacheIndex(int row, int h, int c, int cap, int heads, int d) {
        int layer = row / cap;
        return ((layer * heads + h) * cap + row - layer * cap) * d + c;
    }
}
