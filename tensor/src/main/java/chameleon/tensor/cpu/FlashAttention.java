package chameleon.tensor.cpu;

import chameleon.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention with an online softmax (FlashAttention's recurrence): each query row streams over the keys
 * once, keeping the running max m, the running denominator l and an unnormalised output accumulator,
 * so no [Lq, Lk] score matrix is ever materialised. Parallel over (head, block of query rows).
 *
 * <p>{@code Math.exp} is HotSpot's intrinsic stub, which the interpreter and the compilers share, so
 * results do not depend on JIT state (StrictMath would be 3× slower here for no gain).
 */
final class FlashAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int QB = 16;   // query rows per task
    private static final int KB = 64;   // keys per block: K and V rows stay in L1 across the query rows

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
            int q0 = (task % qBlocks) * QB, q1 = Math.min(lq, q0 + QB), rows = q1 - q0;
            // Per query row of the block: running max m, denominator l, unnormalised output acc.
            // Keys and values of one key block are reused by every query row while they sit in L1.
            float[] m = new float[rows];
            float[] l = new float[rows];
            float[] acc = new float[rows * d];
            float[] scores = new float[KB];
            java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
            for (int j0 = from; j0 < to; j0 += KB) {
                int j1 = Math.min(to, j0 + KB);
                for (int r = 0; r < rows; r++) {
                    int qi = qo + (q0 + r) * stride + h * d;
                    float blockMax = Float.NEGATIVE_INFINITY;
                    for (int j = j0; j < j1; j++) {
                        float s = Gemm.dot(qa, qi, ka, ko + j * stride + h * d, d) * scale;
                        scores[j - j0] = s;
                        blockMax = Math.max(blockMax, s);
                    }
                    float mNew = Math.max(m[r], blockMax);
                    float correction = (float) Math.exp(m[r] - mNew);
                    float sum = l[r] * correction;
                    scaleInPlace(acc, r * d, d, correction);
                    for (int j = j0; j < j1; j++) {
                        float p = (float) Math.exp(scores[j - j0] - mNew);
                        sum += p;
                        axpy(p, va, vo + j * stride + h * d, acc, r * d, d);
                    }
                    l[r] = sum;
                    m[r] = mNew;
                }
            }
            for (int r = 0; r < rows; r++) {
                float inv = 1f / l[r];
                int oi = (q0 + r) * stride + h * d;
                for (int c = 0; c < d; c++) {
                    oa[oi + c] = acc[r * d + c] * inv;
                }
            }
        });
        return out;
    }

    /** a[off .. off+n) *= s. */
    private static void scaleInPlace(float[] a, int off, int n, float s) {
        int nv = S.loopBound(n);
        for (int c = 0; c < nv; c += S.length()) {
            FloatVector.fromArray(S, a, off + c).mul(s).intoArray(a, off + c);
        }
        for (int c = nv; c < n; c++) {
            a[off + c] *= s;
        }
    }

    /** acc[ao .. ao+d) += p · x[xo .. xo+d). */
    private static void axpy(float p, float[] x, int xo, float[] acc, int ao, int d) {
        int nv = S.loopBound(d);
        FloatVector pv = FloatVector.broadcast(S, p);
        for (int c = 0; c < nv; c += S.length()) {
            FloatVector.fromArray(S, x, xo + c).fma(pv, FloatVector.fromArray(S, acc, ao + c)).intoArray(acc, ao + c);
        }
        for (int c = nv; c < d; c++) {
            acc[ao + c] += p * x[xo + c];
        }
    }
}
