package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Row-wise and elementwise kernels over [rows, cols] buffers: LayerNorm, RMSNorm, adaLN modulation,
 * gated and plain residual adds, SiLU, GELU (tanh) and rotary embedding. Statistics accumulate in fp32
 * (the CPU reference uses double; the difference is far below the fp32 golden tolerance for the row
 * lengths of the model). One thread per row for the norms, per element for the rest.
 */
public final class RowKernels {
    private RowKernels() {
    }

    /** y[r] = (x[r] − mean)·rsqrt(var + eps)·w + b; pass w = 1, b = 0 for no affine. */
    public static void layerNorm(FloatArray x, FloatArray w, FloatArray b, FloatArray y, int m, int n, float eps) {
        for (@Parallel int r = 0; r < m; r++) {
            int o = r * n;
            float sum = 0f;
            for (int c = 0; c < n; c++) {
                sum += x.get(o + c);
            }
            float mean = sum / n;
            float ss = 0f;
            for (int c = 0; c < n; c++) {
                float t = x.get(o + c) - mean;
                ss += t * t;
            }
            float inv = 1f / TornadoMath.sqrt(ss / n + eps);
            for (int c = 0; c < n; c++) {
                y.set(o + c, (x.get(o + c) - mean) * inv * w.get(c) + b.get(c));
            }
        }
    }

    /** y[r] = x[r]·rsqrt(mean(x[r]²) + eps)·w; pass w = 1 for none. */
    public static void rmsNorm(FloatArray x, FloatArray w, FloatArray y, int m, int n, float eps) {
        for (@Parallel int r = 0; r < m; r++) {
            int o = r * n;
            float ss = 0f;
            for (int c = 0; c < n; c++) {
                float v = x.get(o + c);
                ss += v * v;
            }
            float inv = 1f / TornadoMath.sqrt(ss / n + eps);
            for (int c = 0; c < n; c++) {
                y.set(o + c, x.get(o + c) * inv * w.get(c));
            }
        }
    }

    /** In place: y[r, c] += b[c] over [m, n] (the bias epilogue of a GEMM that has none). */
    public static void addBias(FloatArray y, FloatArray b, int m, int n) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int i = r * n + c;
                y.set(i, y.get(i) + b.get(c));
            }
        }
    }

    /** In place: x[r, c] = x[r, c]·(1 + scale[g, c]) + shift[g, c], g = r / rowsPerGroup. */
    public static void modulate(FloatArray x, FloatArray shift, FloatArray scale, int m, int n, int rowsPerGroup) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int g = (r / rowsPerGroup) * n + c;
                int i = r * n + c;
                x.set(i, x.get(i) * (1f + scale.get(g)) + shift.get(g));
            }
        }
    }

    /** In place: x[r, c] += y[r, c]·gate[g, c], g = r / rowsPerGroup. */
    public static void addGated(FloatArray x, FloatArray y, FloatArray gate, int m, int n, int rowsPerGroup) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int i = r * n + c;
                x.set(i, x.get(i) + y.get(i) * gate.get((r / rowsPerGroup) * n + c));
            }
        }
    }

    /** In place: x += y. */
    public static void add(FloatArray x, FloatArray y, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            x.set(i, x.get(i) + y.get(i));
        }
    }

    /** In place SiLU: x·σ(x). */
    public static void silu(FloatArray x, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float v = x.get(i);
            x.set(i, v / (1f + TornadoMath.exp(-v)));
        }
    }

    /** In place GELU, tanh approximation. */
    public static void geluTanh(FloatArray x, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float u = x.get(i);
            float inner = 0.7978845608028654f * (u + 0.044715f * u * u * u);
            x.set(i, 0.5f * u * (1f + TornadoMath.tanh(inner)));
        }
    }

    /**
     * In place rotary embedding of adjacent pairs: x [L, H, 2·pairs], cos/sin tables [L, pairs]; thread per (token,
     * head, pair).
     */
    public static void rope(FloatArray x, FloatArray cosTable, FloatArray sinTable, int l, int heads, int pairs) {
        // (No identifier may be an OpenCL C keyword or builtin: "half" as a name breaks the build.)
        for (@Parallel int t = 0; t < l; t++) {
            for (@Parallel int hp = 0; hp < heads * pairs; hp++) {
                int h = hp / pairs;
                int i = hp - h * pairs;
                int o = (t * heads + h) * 2 * pairs + 2 * i;
                float a = x.get(o);
                float b = x.get(o + 1);
                float c = cosTable.get(t * pairs + i);
                float s = sinTable.get(t * pairs + i);
                x.set(o, a * c - b * s);
                x.set(o + 1, a * s + b * c);
            }
        }
    }

    /** dst[i] = src[i] for i &lt; size. */
    public static void copy(FloatArray src, FloatArray dst, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dst.set(i, src.get(i));
        }
    }
}
