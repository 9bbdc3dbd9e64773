package chameleon.kvcache;

import chameleon.tensor.Tensor;

/**
 * One layer's cross-attention K/V of the prompt: computed on the first forward after the prompt is
 * set and reused by every later call (the text never changes inside a session).
 */
public final class CrossAttentionCache {
    private Tensor k; // [textLen, heads, headDim], after norm_k
    private Tensor v; // [textLen, heads, headDim]

    public boolean isInitialized() {
        return k != null;
    }

    public void set(Tensor keys, Tensor values) {
        this.k = keys;
        this.v = values;
    }

    public void clear() {
        k = null;
        v = null;
    }

    public Tensor keys() {
        return k;
    }

    public Tensor values() {
        return v;
    }
}
