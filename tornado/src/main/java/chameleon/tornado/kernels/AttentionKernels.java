package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Multi-head attention without mask, with an online softmax (FlashAttention's recurrence): each
 * (query row, head) streams over the keys once keeping the running max m and denominator l, and its
 * output row is the unnormalised accumulator, rescaled by exp(m_old − m_new) as the max grows. No
 * score matrix is materialised. One thread per (query, head); {@code @Parallel} only.
 */
public final class AttentionKernels {
    private AttentionKernels() {
    }

    /**
     * out[i, h] = softmax_j(q[i, h]·k[j, h]·scale)·v[j, h] over j in {@code [range[0], range[1])}.
     *
     * @param q     [lq, heads, d]
     * @param k     [cap, heads, d]
     * @param v     [cap, heads, d]
     * @param out   [lq, heads, d]
     * @param range {from, to} key rows of this execution
     * @param scale 1 element: the score scale (1/√d)
     */
    public static void attention(FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray range,
                                 FloatArray scale, int lq, int heads, int d) {
        for (@Parallel int i = 0; i < lq; i++) {
            for (@Parallel int h = 0; h < heads; h++) {
                int from = range.get(0);
                int to = range.get(1);
                float sc = scale.get(0);
                int qo = (i * heads + h) * d;
                for (int c = 0; c < d; c++) {
                    out.set(qo + c, 0f);
                }
                float m = -3.0e38f;
                float l = 0f;
                for (int j = from; j < to; j++) {
                    int ko = (j * heads + h) * d;
                    float s = 0f;
                    for (int c = 0; c < d; c++) {
                        s += q.get(qo + c) * k.get(ko + c);
                    }
                    s = s * sc;
                    float mNew = TornadoMath.max(m, s);
                    float correction = TornadoMath.exp(m - mNew);
                    float p = TornadoMath.exp(s - mNew);
                    l = l * correction + p;
                    for (int c = 0; c < d; c++) {
                        out.set(qo + c, out.get(qo + c) * correction + p * v.get(ko + c));
                    }
                    m = mNew;
                }
                float inv = 1f / l;
                for (int c = 0; c < d; c++) {
                    out.set(qo + c, out.get(qo + c) * inv);
                }
            }
        }
    }
}
