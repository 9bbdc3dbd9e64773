package chameleon.tensor.cpu;

import chameleon.tensor.Tensor;

/**
 * Row-wise and elementwise kernels over [rows, cols] views: normalisations, modulation, gated
 * residuals, activations and rotary embedding. Statistics accumulate in double, as the reference
 * computes them in fp32 on reductions that are short enough for double to be the closer match.
 */
final class RowKernels {
    private static final int ROWS_PER_TASK = 32;

    private RowKernels() {
    }

    static int cols(Tensor x) {
        return x.shape().rank() == 0 ? 1 : x.dim(x.shape().rank() - 1);
    }

    static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        int n = cols(x), m = (int) (x.numel() / n);
        float[] w = weight == null ? null : weight.toFloatArray();
        float[] b = bias == null ? null : bias.toFloatArray();
        Tensor xf = x.toF32();
        float[] xa = xf.array();
        int xo = xf.arrayOffset();
        Tensor y = Tensor.zeros(x.shape().dims());
        float[] ya = y.array();
        forRows(m, r -> {
            int o = xo + r * n;
            double mean = 0;
            for (int c = 0; c < n; c++) {
                mean += xa[o + c];
            }
            mean /= n;
            double var = 0;
            for (int c = 0; c < n; c++) {
                double t = xa[o + c] - mean;
                var += t * t;
            }
            var /= n;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            float mu = (float) mean;
            for (int c = 0; c < n; c++) {
                float v = (xa[o + c] - mu) * inv;
                if (w != null) {
                    v *= w[c];
                }
                if (b != null) {
                    v += b[c];
                }
                ya[r * n + c] = v;
            }
        });
        return y;
    }

    static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        int n = cols(x), m = (int) (x.numel() / n);
        float[] w = weight == null ? null : weight.toFloatArray();
        Tensor xf = x.toF32();
        float[] xa = xf.array();
        int xo = xf.arrayOffset();
        Tensor y = Tensor.zeros(x.shape().dims());
        float[] ya = y.array();
        forRows(m, r -> {
            int o = xo + r * n;
            double ss = 0;
            for (int c = 0; c < n; c++) {
                ss += (double) xa[o + c] * xa[o + c];
            }
            float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
            for (int c = 0; c < n; c++) {
                float v = xa[o + c] * inv;
                ya[r * n + c] = w == null ? v : v * w[c];
            }
        });
        return y;
    }

    static void modulate(Tensor x, Tensor shift, Tensor scale) {
        int n = cols(x), m = (int) (x.numel() / n);
        float[] sh = shift.toFloatArray(), sc = scale.toFloatArray();
        int perGroup = rowsPerGroup(m, n, sh.length, "modulate");
        float[] xa = x.array();
        int xo = x.arrayOffset();
        forRows(m, r -> {
            int g = (r / perGroup) * n, o = xo + r * n;
            for (int c = 0; c < n; c++) {
                xa[o + c] = xa[o + c] * (1f + sc[g + c]) + sh[g + c];
            }
        });
    }

    static void addGated(Tensor x, Tensor y, Tensor gate) {
        int n = cols(x), m = (int) (x.numel() / n);
        requireSameSize(x, y, "addGated");
        float[] ga = gate.toFloatArray();
        int perGroup = rowsPerGroup(m, n, ga.length, "addGated");
        Tensor yf = y.toF32();
        float[] xa = x.array(), ya = yf.array();
        int xo = x.arrayOffset(), yo = yf.arrayOffset();
        forRows(m, r -> {
            int g = (r / perGroup) * n;
            for (int c = 0; c < n; c++) {
                xa[xo + r * n + c] += ya[yo + r * n + c] * ga[g + c];
            }
        });
    }

    static void add(Tensor x, Tensor y) {
        requireSameSize(x, y, "add");
        Tensor yf = y.toF32();
        float[] xa = x.array(), ya = yf.array();
        int xo = x.arrayOffset(), yo = yf.arrayOffset();
        long n = x.numel();
        for (int i = 0; i < n; i++) {
            xa[xo + i] += ya[yo + i];
        }
    }

    static void silu(Tensor x) {
        float[] a = x.array();
        int o = x.arrayOffset();
        long n = x.numel();
        for (int i = 0; i < n; i++) {
            float v = a[o + i];
            a[o + i] = (float) (v / (1.0 + StrictMath.exp(-v)));
        }
    }

    static void clamp(Tensor x, float lo, float hi) {
        float[] a = x.array();
        int o = x.arrayOffset();
        long n = x.numel();
        for (int i = 0; i < n; i++) {
            a[o + i] = Math.min(Math.max(a[o + i], lo), hi);
        }
    }

    static void geluTanh(Tensor x) {
        float[] a = x.array();
        int o = x.arrayOffset();
        int n = (int) x.numel();
        final double k = Math.sqrt(2.0 / Math.PI);
        forRows((n + 1023) / 1024, blk -> {
            for (int i = blk * 1024, end = Math.min(n, i + 1024); i < end; i++) {
                double u = a[o + i];
                a[o + i] = (float) (0.5 * u * (1.0 + StrictMath.tanh(k * (u + 0.044715 * u * u * u))));
            }
        });
    }

    static void rope(Tensor x, Tensor cos, Tensor sin) {
        if (x.shape().rank() != 3) {
            throw new IllegalArgumentException("rope: x " + x.shape() + " must be [L, H, D]");
        }
        int l = x.dim(0), h = x.dim(1), d = x.dim(2), half = d / 2;
        if (cos.numel() != (long) l * half || sin.numel() != (long) l * half) {
            throw new IllegalArgumentException("rope: tables " + cos.shape() + "/" + sin.shape()
                    + " must be [" + l + ", " + half + "]");
        }
        float[] ca = cos.toFloatArray(), sa = sin.toFloatArray();
        float[] xa = x.array();
        int xo = x.arrayOffset();
        forRows(l, t -> {
            for (int head = 0; head < h; head++) {
                int o = xo + (t * h + head) * d;
                for (int i = 0; i < half; i++) {
                    // (a + ib)(c + is) in double, as the reference rotates in complex128.
                    double a = xa[o + 2 * i], b = xa[o + 2 * i + 1];
                    double c = ca[t * half + i], s = sa[t * half + i];
                    xa[o + 2 * i] = (float) (a * c - b * s);
                    xa[o + 2 * i + 1] = (float) (a * s + b * c);
                }
            }
        });
    }

    private static int rowsPerGroup(int rows, int cols, int paramLength, String op) {
        if (paramLength % cols != 0 || paramLength == 0) {
            throw new IllegalArgumentException(op + ": parameters of " + paramLength + " values are not [G, " + cols + "]");
        }
        int groups = paramLength / cols;
        if (rows % groups != 0) {
            throw new IllegalArgumentException(op + ": " + rows + " rows do not split into " + groups + " groups");
        }
        return rows / groups;
    }

    private static void requireSameSize(Tensor x, Tensor y, String op) {
        if (x.numel() != y.numel()) {
            throw new IllegalArgumentException(op + ": " + x.shape() + " vs " + y.shape());
        }
    }

    private static void forRows(int rows, java.util.function.IntConsumer body) {
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        CpuParallel.forEach(tasks, t -> {
            for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                body.accept(r);
            }
        });
    }
}
