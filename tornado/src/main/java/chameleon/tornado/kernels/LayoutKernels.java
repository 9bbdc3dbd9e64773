package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Data movement without arithmetic, one thread per output element; sizes come from an int array at
 * run time so one compiled plan serves every shape that fits its buffers (the loop bound is the
 * output capacity, threads past the element count do nothing).
 * <ul>
 * <li>{@link #gather}: y[i] = x[offset + Σ idx_a · stride_a] over an index space of up to
 *     {@link #MAX_RANK} axes in y's row-major order. permute (strides permuted), slice (x's strides and
 *     an offset) and nearest ×2 upsampling (index space [..., H, 2, W, 2] with stride 0 on the 2s)
 *     are all this one kernel.</li>
 * <li>{@link #concat}: y viewed [outer, total, inner] from parts [outer, n_p, inner] staged back to back
 *     in x.</li>
 * </ul>
 */
public final class LayoutKernels {
    /** Axes of a gather's index space; lower ranks are padded in front with size-1 axes. */
    public static final int MAX_RANK = 8;
    /** Parts of one concat. */
    public static final int MAX_PARTS = 32;
    /** Gather parameters: {@code [count, offset, dims[8], strides[8]]}. */
    public static final int GATHER_PARAMS = 2 + 2 * MAX_RANK;
    /** Concat parameters: {@code [count, total, inner, parts, (start, n, offset) × MAX_PARTS]}. */
    public static final int CONCAT_PARAMS = 4 + 3 * MAX_PARTS;

    private LayoutKernels() {
    }

    /** y[i] = x[p[1] + Σ_a idx_a(i) · p[2 + MAX_RANK + a]] for i &lt; p[0], idx over dims p[2 .. 2 + MAX_RANK). */
    public static void gather(FloatArray x, FloatArray y, IntArray p, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            if (i < p.get(0)) {
                int rest = i;
                int src = p.get(1);
                for (int a = MAX_RANK - 1; a >= 0; a--) {
                    int n = p.get(2 + a);
                    int idx = rest % n;
                    rest = rest / n;
                    src += idx * p.get(2 + MAX_RANK + a);
                }
                y.set(i, x.get(src));
            }
        }
    }

    /**
     * y [outer, total, inner] ← parts along the middle axis: part q covers [start_q, start_q + n_q) of it
     * and is stored [outer, n_q, inner] at offset_q of x; starts ascend.
     */
    public static void concat(FloatArray x, FloatArray y, IntArray p, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            if (i < p.get(0)) {
                int total = p.get(1), inner = p.get(2), parts = p.get(3);
                int o = i / (total * inner);
                int r = i - o * total * inner;
                int j = r / inner;
                int in = r - j * inner;
                int q = 0;
                for (int c = 1; c < parts; c++) {
                    if (j >= p.get(4 + 3 * c)) {
                        q = c;
                    }
                }
                int start = p.get(4 + 3 * q), n = p.get(5 + 3 * q), offset = p.get(6 + 3 * q);
                y.set(i, x.get(offset + (o * n + j - start) * inner + in));
            }
        }
    }
}
