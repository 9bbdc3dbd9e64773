package chameleon.tensor.cpu;

import chameleon.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention with an online softmax (FlashAttention's recurrence): each query row streams over the keys
 * once, keeping the running max m, the running denominator l and an unnormalised output accumulator,
 * so no [Lq, Lk] score matrix is ever materialised. Parallel over (head, block of query rows).
 */
final class FlashAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int QB = 16;   // query rows per task
    private static final int KB = 128;  // keys scored per softmax update

    private FlashAttention() {
    }

    static Tensor attend(Tensor q, Tensor k, Tensor v, int from, int to, float scale) {
        if (q.shape().rank() != 3 || k.shape().rank() != 3 || !k.shape().equals(v.shape())
                || q.dim(1) != k.dim(1) || q.dim(2) != k.dim(2)) {
            throw new IllegalArgumentException("attention: q " + q.shape() + ", k " + k.shape() + ", v " + v.shape()
                    + " must be [Lq, H, D], [cap, H, D], [cap, H, D]");
        }
        if (from < 0 || to > k.dim(0) || from >= to) {
            throw new IllegalArgumentException("attention: key range [" + from + ", " + to + ") outside [0, " + k.dim(0) + ")");
        }
        int lq = q.dim(0), heads = q.dim(1), d = q.dim(2);
        Tensor qf = q.toF32(), kf = k.toF32(), vf = v.toF32();
        float[] qa = qf.array(), ka = kf.array(), va = vf.array();
        int qo = qf.arrayOffset(), ko = kf.arrayOffset(), vo = vf.arrayOffset();
        Tensor out = Tensor.zeros(lq, heads, d);
        float[] oa = out.array();
        int qBlocks = (lq + QB - 1) / QB;
        int stride = heads * d;
        CpuParallel.forEach(heads * qBlocks, task -> {
            int h = task / qBlocks;
            int q0 = (task % qBlocks) * QB, q1 = Math.min(lq, q0 + QB);
            float[] scores = new float[KB];
            float[] acc = new float[d];
            for (int i = q0; i < q1; i++) {
                int qi = qo + i * stride + h * d;
                float m = Float.NEGATIVE_INFINITY;
                float l = 0f;
                java.util.Arrays.fill(acc, 0f);
                for (int j0 = from; j0 < to; j0 += KB) {
                    int j1 = Math.min(to, j0 + KB);
                    float blockMax = Float.NEGATIVE_INFINITY;
                    for (int j = j0; j < j1; j++) {
                        float s = Gemm.dot(qa, qi, ka, ko + j * stride + h * d, d) * scale;
                        scores[j - j0] = s;
                        blockMax = Math.max(blockMax, s);
                    }
                    float mNew = Math.max(m, blockMax);
                    float correction = (float) StrictMath.exp(m - mNew);
                    l *= correction;
                    scaleInPlace(acc, correction);
                    for (int j = j0; j < j1; j++) {
                        float p = (float) StrictMath.exp(scores[j - j0] - mNew);
                        l += p;
                        axpy(p, va, vo + j * stride + h * d, acc, d);
                    }
                    m = mNew;
                }
                float inv = 1f / l;
                int oi = i * stride + h * d;
                for (int c = 0; c < d; c++) {
                    oa[oi + c] = acc[c] * inv;
                }
            }
        });
        return out;
    }

    private static void scaleInPlace(float[] a, float s) {
        int n = a.length, nv = S.loopBound(n);
        for (int c = 0; c < nv; c += S.length()) {
            FloatVector.fromArray(S, a, c).mul(s).intoArray(a, c);
        }
        for (int c = nv; c < n; c++) {
            a[c] *= s;
        }
    }

    /** acc += p · x[xo .. xo+d). */
    private static void axpy(float p, float[] x, int xo, float[] acc, int d) {
        int nv = S.loopBound(d);
        for (int c = 0; c < nv; c += S.length()) {
            FloatVector.fromArray(S, x, xo + c).fma(FloatVector.broadcast(S, p), FloatVector.fromArray(S, acc, c)).intoArray(acc, c);
        }
        for (int c = nv; c < d; c++) {
            acc[c] += p * x[xo + c];
        }
    }
}
