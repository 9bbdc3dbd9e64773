package chameleon.layers.dit;

import chameleon.tensor.Backend;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.ModuleWeights;

/** {@code text_embedding}: Linear(text → dim) → GELU(tanh) → Linear(dim → dim), once per prompt. */
public final class TextEmbedding {
    private final Linear in;  // text_embedding.0 [dim, textDim]
    private final Linear out; // text_embedding.2 [dim, dim]
    private final int textDim;

    public TextEmbedding(ModuleWeights w, DitConfig cfg) {
        this.textDim = cfg.textDim();
        this.in = w.linear("0", cfg.dim(), cfg.textDim());
        this.out = w.linear("2", cfg.dim(), cfg.dim());
    }

    /** @param text [textLen, textDim] prompt embedding (padding rows zero) → [textLen, dim] */
    public Tensor forward(Backend backend, Tensor text) {
        if (text.shape().rank() != 2 || text.dim(1) != textDim) {
            throw new IllegalArgumentException("prompt embedding " + text.shape() + " must be [textLen, " + textDim + "]");
        }
        Tensor h = in.apply(backend, text);
        backend.geluTanh(h);
        return out.apply(backend, h);
    }
}
