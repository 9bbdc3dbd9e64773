package chameleon.text;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.ModuleWeights;
import java.util.stream.IntStream;

/**
 * One umT5 encoder block: pre-norm self-attention with this block's own relative-position bias, then a
 * pre-norm gated-GELU feed-forward; both residual. No biases anywhere, and no 1/√d attention scaling
 * (T5 folds it into the initialisation of q).
 *
 * <p>The projections, norms and feed-forward run on the encoder's backend. The attention core (per head
 * q·kᵀ, bias, mask, softmax, p·v) runs on the host's {@link CpuBackend}: {@link Backend} has no
 * attention op with an additive bias, and a GPU backend's {@code linear} keeps a device copy of its
 * weight operand, which for activation × activation products would mean a new plan per call. At the
 * real shape and 512 tokens the core is 26 GFLOP of the encoder's 4.7 TFLOP.
 */
final class T5Block {
    private final T5Config config;
    private final Tensor norm1;   // [dim]
    private final Tensor q;       // [dimAttn, dim]
    private final Tensor k;       // [dimAttn, dim]
    private final Tensor v;       // [dimAttn, dim]
    private final Tensor o;       // [dim, dimAttn]
    private final Tensor norm2;   // [dim]
    private final Tensor gate;    // [dimFfn, dim]
    private final Tensor fc1;     // [dimFfn, dim]
    private final Tensor fc2;     // [dim, dimFfn]
    private final float[] positionBias; // [numBuckets, heads], small enough to widen once
    private static final Backend HOST = new CpuBackend();

    T5Block(ModuleWeights w, T5Config c) {
        this.config = c;
        norm1 = w.tensor("norm1.weight", c.dim());
        q = w.tensor("attn.q.weight", c.dimAttn(), c.dim());
        k = w.tensor("attn.k.weight", c.dimAttn(), c.dim());
        v = w.tensor("attn.v.weight", c.dimAttn(), c.dim());
        o = w.tensor("attn.o.weight", c.dim(), c.dimAttn());
        norm2 = w.tensor("norm2.weight", c.dim());
        gate = w.tensor("ffn.gate.0.weight", c.dimFfn(), c.dim());
        fc1 = w.tensor("ffn.fc1.weight", c.dimFfn(), c.dim());
        fc2 = w.tensor("ffn.fc2.weight", c.dim(), c.dimFfn());
        positionBias = w.tensor("pos_embedding.embedding.weight", c.numBuckets(), c.heads()).toFloatArray();
    }

    /**
     * In place: x [L, dim] ← block(x).
     *
     * @param buckets [L, L] relative-position bucket of key k for query q
     * @param mask    [L] 1 for real tokens; padded keys are never attended to
     */
    void forward(Backend backend, Tensor x, int[][] buckets, int[] mask) {
        Tensor h = backend.rmsNorm(x, norm1, config.eps());
        Backend host = backend instanceof CpuBackend ? backend : HOST;
        Tensor attn = attention(host, backend.linear(h, q, null), backend.linear(h, k, null),
                backend.linear(h, v, null), buckets, mask);
        backend.add(x, backend.linear(attn, o, null));

        h = backend.rmsNorm(x, norm2, config.eps());
        Tensor g = backend.linear(h, gate, null);      // [L, dimFfn]
        backend.geluTanh(g);
        g = g.toF32();
        Tensor u = backend.linear(h, fc1, null).toF32(); // [L, dimFfn]
        float[] ga = g.array();
        float[] ua = u.array();
        int go = g.arrayOffset();
        int uo = u.arrayOffset();
        for (int i = 0; i < g.numel(); i++) {
            ua[uo + i] *= ga[go + i];
        }
        backend.add(x, backend.linear(u, fc2, null));
    }

    /**
     * softmax_k(q·k + bias[bucket(k − q), h]) · v per head, masked keys excluded; [L, dimAttn]. The two
     * products of each head go through {@link Backend#linear}, so they run on the backend's GEMM; the
     * bias, mask and softmax are row work on the heap.
     */
    private Tensor attention(Backend backend, Tensor qt, Tensor kt, Tensor vt, int[][] buckets, int[] mask) {
        int len = mask.length;
        int heads = config.heads();
        int d = config.headDim();
        Tensor out = Tensor.zeros(len, config.dimAttn());
        Tensor q = qt.toF32();
        Tensor k = kt.toF32();
        Tensor v = vt.toF32();
        for (int head = 0; head < heads; head++) {
            Tensor qh = columns(q, head * d, d);           // [L, d]
            Tensor kh = columns(k, head * d, d);           // [L, d]
            Tensor vhT = columnsTransposed(v, head * d, d); // [d, L]
            Tensor scores = backend.linear(qh, kh, null).toF32(); // [L, L] = q·kᵀ
            softmaxWithBias(scores, head, buckets, mask);
            Tensor oh = backend.linear(scores, vhT, null).toF32(); // [L, d] = p·v
            float[] src = oh.array();
            int so = oh.arrayOffset();
            for (int row = 0; row < len; row++) {
                System.arraycopy(src, so + row * d, out.array(), row * config.dimAttn() + head * d, d);
            }
        }
        return out;
    }

    /** In place over rows of s [L, L]: add the head's position bias, drop masked keys, softmax. */
    private void softmaxWithBias(Tensor s, int head, int[][] buckets, int[] mask) {
        int len = mask.length;
        int heads = config.heads();
        float[] a = s.array();
        int base = s.arrayOffset();
        IntStream.range(0, len).parallel().forEach(row -> {
            int o = base + row * len;
            float max = Float.NEGATIVE_INFINITY;
            for (int key = 0; key < len; key++) {
                if (mask[key] == 0) {
                    continue;
                }
                a[o + key] += positionBias[buckets[row][key] * heads + head];
                max = Math.max(max, a[o + key]);
            }
            double sum = 0;
            for (int key = 0; key < len; key++) {
                if (mask[key] == 0) {
                    a[o + key] = 0f; // the official finfo.min bias: exp underflows to exactly 0
                } else {
                    float e = (float) Math.exp(a[o + key] - max);
                    a[o + key] = e;
                    sum += e;
                }
            }
            float inv = (float) (1.0 / sum);
            for (int key = 0; key < len; key++) {
                a[o + key] *= inv;
            }
        });
    }

    /** Columns [from, from + n) of a heap matrix [L, W] as a new [L, n]. */
    private static Tensor columns(Tensor m, int from, int n) {
        int len = m.dim(0);
        int width = m.dim(1);
        Tensor out = Tensor.zeros(len, n);
        for (int row = 0; row < len; row++) {
            System.arraycopy(m.array(), m.arrayOffset() + row * width + from, out.array(), row * n, n);
        }
        return out;
    }

    /** Columns [from, from + n) of a heap matrix [L, W], transposed: [n, L]. */
    private static Tensor columnsTransposed(Tensor m, int from, int n) {
        int len = m.dim(0);
        int width = m.dim(1);
        float[] src = m.array();
        int so = m.arrayOffset();
        Tensor out = Tensor.zeros(n, len);
        float[] dst = out.array();
        for (int row = 0; row < len; row++) {
            for (int c = 0; c < n; c++) {
                dst[c * len + row] = src[so + row * width + from + c];
            }
        }
        return out;
    }
}
