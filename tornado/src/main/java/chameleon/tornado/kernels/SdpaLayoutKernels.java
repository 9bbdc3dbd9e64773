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
 * <p>{@code CudnnCacheAttention} instead keeps an F16 copy of the whole stacked cache in cuDNN's layout
 * [layers, heads, cap, d] ({@link #mirrorRows} brings the rows a block rewrote), so a full window is read in place at
 * head dim d; a shorter one is packed at its own length ({@link #packWindow}). Both run on a fixed grid of
 * {@link RowKernels#MOVE_THREADS} threads striding over the elements, since most executions have nothing to do.
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
        int pairs = lq * heads * d / 2;
        for (@Parallel int p = 0; p < pairs; p++) {
            int i = 2 * p;
            int c = i % d;
            int h = (i / d) % heads;
            int r = i / (d * heads);
            Half2 o = oh.getHalf2((h * lq + r) * dp + c);
            out.set(i, Half2.lowFloat(o));
            out.set(i + 1, Half2.highFloat(o));
        }
    }

    /**
     * k, v [layers·cap, heads, d] F32, rows [params[fromAt], +params[countAt]) (absolute rows of the stacked cache) →
     * the same rows of kh, vh [layers, heads, cap, d] F16. Reads coalesced, writes d contiguous halves a row and head.
     */
    public static void mirrorRows(KernelContext ctx, FloatArray k, FloatArray v, HalfFloatArray kh, HalfFloatArray vh,
                                  IntArray params, int fromAt, int countAt, int cap, int heads, int d) {
        int rowSize = heads * d;
        int from = params.get(fromAt);
        int pairs = params.get(countAt) * rowSize / 2;
        for (int p = ctx.globalIdx; p < pairs; p += ctx.globalGroupSizeX) {
            int i = 2 * p;
            int row = from + i / rowSize;
            int layer = row / cap;
            int h = (i / d) % heads;
            int dst = ((layer * heads + h) * cap + row - layer * cap) * d + i % d;
            int src = from * rowSize + i;
            kh.setHalf2(dst, Half2.fromFloats(k.get(src), k.get(src + 1)));
            vh.setHalf2(dst, Half2.fromFloats(v.get(src), v.get(src + 1)));
        }
    }

    /**
     * k, v [layers·cap, heads, d] F32, rows [window[0], window[1]) → kh, vh [heads, length, d] F16 packed at the
     * window's own length; nothing when the window is a whole layer (window[0] a multiple of cap, length cap), which
     * cuDNN reads in place from the mirror.
     */
    public static void packWindow(KernelContext ctx, FloatArray k, FloatArray v, IntArray window, HalfFloatArray kh,
                                  HalfFloatArray vh, int cap, int heads, int d) {
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
            int src = ((from + j) * heads + h) * d + c;
            kh.setHalf2(i, Half2.fromFloats(k.get(src), k.get(src + 1)));
            vh.setHalf2(i, Half2.fromFloats(v.get(src), v.get(src + 1)));
        }
    }
}
