package chameleon.text;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.ModuleWeights;
import java.util.stream.IntStream;

/**
 * One umT5 encoder block: pre-norm self-attention with this block's own relative-position bias, then a
 * pre-norm gated-GELU feed-forward; both residual. No biases anywhere, and no 1/√d attention scaling
 * (T5 folds it into the initialisation of q).
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
        Tensor attn = attention(backend.linear(h, q, null), backend.linear(h, k, null),
                backend.linear(h, v, null), buckets, mask);
        backend.add(x, backend.linear(attn, o, null));

        h = backend.rmsNorm(x, norm2, config.eps());
        Tensor g = backend.linear(h, gate, null);      // [L, dimFfn]
        backend.geluTanh(g);
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

    /** softmax_k(q·k + bias[bucket(k − q), h]) · v per head, masked keys excluded; [L, dimAttn]. */
    private Tensor attention(Tensor qt, Tensor kt, Tensor vt, int[][] buckets, int[] mask) {
        int len = mask.length;
        int heads = config.heads();
        int d = config.headDim();
        int width = config.dimAttn();
        float[] qa = qt.toF32().array();
        float[] ka = kt.toF32().array();
        float[] va = vt.toF32().array();
        int qo = qt.toF32().arrayOffset();
        int ko = kt.toF32().arrayOffset();
        int vo = vt.toF32().arrayOffset();
        Tensor out = Tensor.zeros(len, width);
        float[] oa = out.array();
        IntStream.range(0, heads * len).parallel().forEach(task -> {
            int head = task / len;
            int row = task % len;
            float[] scores = new float[len];
            float max = Float.NEGATIVE_INFINITY;
            int qBase = qo + row * width + head * d;
            for (int key = 0; key < len; key++) {
                if (mask[key] == 0) {
                    continue;
                }
                int kBase = ko + key * width + head * d;
                float s = 0f;
                for (int c = 0; c < d; c++) {
                    s += qa[qBase + c] * ka[kBase + c];
                }
                s += positionBias[buckets[row][key] * heads + head];
                scores[key] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int key = 0; key < len; key++) {
                if (mask[key] != 0) {
                    float e = (float) Math.exp(scores[key] - max);
                    scores[key] = e;
                    sum += e;
                }
            }
            float inv = (float) (1.0 / sum);
            int oBase = row * width + head * d;
            for (int key = 0; key < len; key++) {
                if (mask[key] == 0) {
                    continue;
                }
                float p = scores[key] * inv;
                int vBase = vo + key * width + head * d;
                for (int c = 0; c < d; c++) {
                    oa[oBase + c] += p * va[vBase + c];
                }
            }
        });
        return out;
    }
}
