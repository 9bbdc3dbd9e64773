package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Arithmetic over channel-first volumes [C, S] (S = every trailing position, e.g. T·H·W) for the VAE:
 * channel RMS norm, per-channel affine map, mean over one axis and clamp. Sizes come from {@code p} at
 * run time; loop bounds are buffer capacities (threads past the live size do nothing), so one plan
 * serves every shape that fits. fp32 throughout, summation in index order as the CPU backend does.
 */
public final class VolumeKernels {
    /** F.normalize's default eps. */
    private static final float NORM_EPS = 1e-12f;

    private VolumeKernels() {
    }

    /**
     * y[c, s] = x[c, s] / max(‖x[:, s]‖₂, 1e-12) · scale · gamma[c]; p = [C, S], scale[0] = √C (computed on
     * the host, correctly rounded). One thread per position s.
     */
    public static void channelRmsNorm(FloatArray x, FloatArray gamma, FloatArray scale, FloatArray y, IntArray p,
                                      int positions) {
        for (@Parallel int s = 0; s < positions; s++) {
            int c = p.get(0), size = p.get(1);
            if (s < size) {
                float sumSq = 0f;
                for (int ch = 0; ch < c; ch++) {
                    float v = x.get(ch * size + s);
                    sumSq += v * v;
                }
                float norm = TornadoMath.sqrt(sumSq);
                float inv = 1f / (norm > NORM_EPS ? norm : NORM_EPS);
                float k = scale.get(0);
                for (int ch = 0; ch < c; ch++) {
                    int i = ch * size + s;
                    y.set(i, x.get(i) * inv * k * gamma.get(ch));
                }
            }
        }
    }

    /** In place: x[c, s] = x[c, s]·scale[c] + shift[c] for the C·S elements of p = [C, S]. */
    public static void channelAffine(FloatArray x, FloatArray scale, FloatArray shift, IntArray p, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int size = p.get(1);
            if (i < p.get(0) * size) {
                int c = i / size;
                x.set(i, x.get(i) * scale.get(c) + shift.get(c));
            }
        }
    }

    /** y[o, in] = (Σ_j x[o, j, in]) / n, j in index order; p = [outer, n, inner]. One thread per output. */
    public static void mean(FloatArray x, FloatArray y, IntArray p, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int n = p.get(1), inner = p.get(2);
            if (i < p.get(0) * inner) {
                int o = i / inner;
                int in = i - o * inner;
                float sum = 0f;
                for (int j = 0; j < n; j++) {
                    sum += x.get((o * n + j) * inner + in);
                }
                y.set(i, sum / n);
            }
        }
    }

    /**
     * In place: x[i] = min(max(x[i], bounds[0]), bounds[1]) for i &lt; p[0]. (Not named {@code clamp}: the
     * kernel takes the method's name, and a kernel named like the OpenCL builtin crashes PoCL.)
     */
    public static void clampInPlace(FloatArray x, FloatArray bounds, IntArray p, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            if (i < p.get(0)) {
                // Comparisons, not fmin/fmax (PoCL crashed on them); NaN stays NaN as with Math.min/max.
                float v = x.get(i), lo = bounds.get(0), hi = bounds.get(1);
                x.set(i, v < lo ? lo : (v > hi ? hi : v));
            }
        }
    }
}
