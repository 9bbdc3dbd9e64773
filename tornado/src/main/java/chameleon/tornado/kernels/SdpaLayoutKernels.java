package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Layout changes around cuDNN's fused attention (SDPA), whose TornadoVM binding takes F16 tensors packed
 * [heads, seq, dp] (BHSD, batch 1) with sequence lengths fixed when the graph is built. Our q/k/v are F32
 * [seq, heads, d] and the key window {from, to} is chosen at run time, so the keys are packed into a buffer of
 * fixed length cap and the rows past the window are masked through one extra head-dim column: q gets a 1 in
 * column d, a padded key gets {@link #MASK} there (valid keys 0), so a padded key scores scale·MASK (about
 * −5300 for d = 128) and its softmax weight is exactly 0 in F32; padded V rows are 0. cuDNN wants the head dim
 * a multiple of 8, so dp = d + {@link #MASK_COLUMNS}. One thread per element of the written buffer (coalesced
 * writes).
 *
 * <p>{@code CudnnCacheAttention} instead keeps an F16 copy of the whole stacked cache in cuDNN's layout
 * [layers, heads, cap, d] ({@link #mirrorRows} brings the rows a block rewrote), so a full window is read in place at
 * head dim d; a shorter one is packed at its own length ({@link #packWindow}). Both run on a fixed grid of
 * {@link RowKernels#MOVE_THREADS} threads striding over the elements, since most executions have nothing to do.
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
        int total = heads * lq * dp;
        for (@Parallel int i = 0; i < total; i++) {
            int c = i % dp;
            int r = (i / dp) % lq;
            int h = i / (dp * lq);
            float value = 0f;
            if (c < d) {
                value = q.get((r * heads + h) * d + c);
            } else if (c == d) {
                value = 1f;
            }
            qh.set(i, new HalfFloat(value));
        }
    }

    /**
     * k, v [cap, heads, d] F32, rows [window[0], window[1]) → kh, vh [heads, cap, dp] F16, window row j at row j;
     * rows from the window's length on are padding (mask column {@link #MASK}, V zero).
     */
    public static void packKeys(FloatArray k, FloatArray v, IntArray window, HalfFloatArray kh, HalfFloatArray vh,
                                int cap, int heads, int d, int dp) {
        int total = heads * cap * dp;
        for (@Parallel int i = 0; i < total; i++) {
            int from = window.get(0);
            int length = window.get(1) - from;
            int c = i % dp;
            int j = (i / dp) % cap;
            int h = i / (dp * cap);
            float key = 0f;
            float value = 0f;
            if (j < length) {
                if (c < d) {
                    int src = ((from + j) * heads + h) * d + c;
                    key = k.get(src);
                    value = v.get(src);
                }
            } else if (c == d) {
                key = MASK;
            }
            kh.set(i, new HalfFloat(key));
            vh.set(i, new HalfFloat(value));
        }
    }

    /** oh [heads, lq, dp] F16 → out [lq, heads, d] F32 (the mask columns dropped). */
    public static void unpackOutput(HalfFloatArray oh, FloatArray out, int lq, int heads, int d, int dp) {
        int total = lq * heads * d;
        for (@Parallel int i = 0; i < total; i++) {
            int c = i % d;
            int h = (i / d) % heads;
            int r = i / (d * heads);
            out.set(i, oh.get((h * lq + r) * dp + c).getFloat32());
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
        int n = params.get(countAt) * rowSize;
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            int row = from + i / rowSize;
            int layer = row / cap;
            int h = (i / d) % heads;
            int dst = ((layer * heads + h) * cap + row - layer * cap) * d + i % d;
            kh.set(dst, new HalfFloat(k.get(from * rowSize + i)));
            vh.set(dst, new HalfFloat(v.get(from * rowSize + i)));
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
        int n = length * heads * d;
        if (from % cap == 0 && length == cap) {
            n = 0;
        }
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            int c = i % d;
            int j = (i / d) % length;
            int h = i / (d * length);
            int src = ((from + j) * heads + h) * d + c;
            kh.set(i, new HalfFloat(k.get(src)));
            vh.set(i, new HalfFloat(v.get(src)));
        }
    }
}
