package chameleon.tornado.kernels;

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
}
