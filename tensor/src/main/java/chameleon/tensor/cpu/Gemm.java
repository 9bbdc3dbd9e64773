package chameleon.tensor.cpu;

import chameleon.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y[M, N] = x[M, K] · w[N, K]ᵀ + b[N]} on the CPU, fp32 accumulation.
 *
 * <p>Work is split into (row block × weight panel) tiles over the cores. Each tile widens its panel of
 * weight rows to float once (weights stay BF16/F16/F32 in the mapped checkpoint), then runs a 4×2
 * register-tiled micro-kernel of Vector API dot products along K (both operands are K-contiguous).
 */
final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int MB = 64; // rows of x per tile
    private static final int NB = 32; // weight rows per panel

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    private Gemm() {
    }

    static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        if (x.shape().rank() != 2 || w.shape().rank() != 2 || x.dim(1) != w.dim(1)) {
            throw new IllegalArgumentException("linear: x " + x.shape() + " and w " + w.shape()
                    + " must be [M, K] and [N, K]");
        }
        int m = x.dim(0), k = x.dim(1), n = w.dim(0);
        if (bias != null && bias.numel() != n) {
            throw new IllegalArgumentException("linear: bias " + bias.shape() + " must have " + n + " elements");
        }
        float[] b = bias == null ? null : bias.toFloatArray();
        Tensor xf = x.toF32();
        float[] xa = xf.array();
        int xo = xf.arrayOffset();
        Tensor y = Tensor.zeros(m, n);
        float[] ya = y.array();
        boolean wHeap = w.isHeapF32();
        float[] wa = wHeap ? w.array() : null;
        int wo = wHeap ? w.arrayOffset() : 0;
        int mBlocks = (m + MB - 1) / MB, nBlocks = (n + NB - 1) / NB;
        CpuParallel.forEach(mBlocks * nBlocks, tile -> {
            int n0 = (tile % nBlocks) * NB, n1 = Math.min(n, n0 + NB);
            int m0 = (tile / nBlocks) * MB, m1 = Math.min(m, m0 + MB);
            float[] panel;
            int po;
            if (wHeap) {
                panel = wa;
                po = wo + n0 * k;
            } else {
                panel = PANEL.get();
                if (panel.length < NB * k) {
                    panel = new float[NB * k];
                    PANEL.set(panel);
                }
                w.readFloats((long) n0 * k, panel, 0, (n1 - n0) * k);
                po = 0;
            }
            tile(xa, xo, panel, po, ya, b, k, n, m0, m1, n0, n1);
        });
        return y;
    }

    /** Computes y rows [m0, m1) × columns [n0, n1); panel row j holds w row n0 + j. */
    private static void tile(float[] x, int xo, float[] p, int po, float[] y, float[] b,
                             int k, int n, int m0, int m1, int n0, int n1) {
        int kv = S.loopBound(k);
        int i = m0;
        for (; i + 4 <= m1; i += 4) {
            int x0 = xo + i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
            int j = n0;
            for (; j + 2 <= n1; j += 2) {
                int w0 = po + (j - n0) * k, w1 = w0 + k;
                FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
                FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
                FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
                FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
                for (int c = 0; c < kv; c += S.length()) {
                    FloatVector v0 = FloatVector.fromArray(S, p, w0 + c);
                    FloatVector v1 = FloatVector.fromArray(S, p, w1 + c);
                    FloatVector u = FloatVector.fromArray(S, x, x0 + c);
                    a00 = u.fma(v0, a00);
                    a01 = u.fma(v1, a01);
                    u = FloatVector.fromArray(S, x, x1 + c);
                    a10 = u.fma(v0, a10);
                    a11 = u.fma(v1, a11);
                    u = FloatVector.fromArray(S, x, x2 + c);
                    a20 = u.fma(v0, a20);
                    a21 = u.fma(v1, a21);
                    u = FloatVector.fromArray(S, x, x3 + c);
                    a30 = u.fma(v0, a30);
                    a31 = u.fma(v1, a31);
                }
                float s00 = sumLanes(a00), s01 = sumLanes(a01);
                float s10 = sumLanes(a10), s11 = sumLanes(a11);
                float s20 = sumLanes(a20), s21 = sumLanes(a21);
                float s30 = sumLanes(a30), s31 = sumLanes(a31);
                for (int c = kv; c < k; c++) {
                    float v0 = p[w0 + c], v1 = p[w1 + c];
                    s00 += x[x0 + c] * v0;
                    s01 += x[x0 + c] * v1;
                    s10 += x[x1 + c] * v0;
                    s11 += x[x1 + c] * v1;
                    s20 += x[x2 + c] * v0;
                    s21 += x[x2 + c] * v1;
                    s30 += x[x3 + c] * v0;
                    s31 += x[x3 + c] * v1;
                }
                float b0 = b == null ? 0f : b[j], b1 = b == null ? 0f : b[j + 1];
                y[i * n + j] = s00 + b0;
                y[i * n + j + 1] = s01 + b1;
                y[(i + 1) * n + j] = s10 + b0;
                y[(i + 1) * n + j + 1] = s11 + b1;
                y[(i + 2) * n + j] = s20 + b0;
                y[(i + 2) * n + j + 1] = s21 + b1;
                y[(i + 3) * n + j] = s30 + b0;
                y[(i + 3) * n + j + 1] = s31 + b1;
            }
            for (; j < n1; j++) {
                for (int r = 0; r < 4; r++) {
                    y[(i + r) * n + j] = dot(x, xo + (i + r) * k, p, po + (j - n0) * k, k) + (b == null ? 0f : b[j]);
                }
            }
        }
        for (; i < m1; i++) {
            for (int j = n0; j < n1; j++) {
                y[i * n + j] = dot(x, xo + i * k, p, po + (j - n0) * k, k) + (b == null ? 0f : b[j]);
            }
        }
    }

    /**
     * Sum of the lanes in a fixed order. {@code reduceLanes(ADD)} leaves the order unspecified, and the
     * interpreter and C2 do differ, which would make results depend on JIT timing.
     */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < S.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /** fp32 dot product of a[ao..ao+k) and b[bo..bo+k). */
    static float dot(float[] a, int ao, float[] b, int bo, int k) {
        int kv = S.loopBound(k);
        FloatVector acc = FloatVector.zero(S);
        for (int c = 0; c < kv; c += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + c).fma(FloatVector.fromArray(S, b, bo + c), acc);
        }
        float s = sumLanes(acc);
        for (int c = kv; c < k; c++) {
            s += a[ao + c] * b[bo + c];
        }
        return s;
    }
}
