package chameleon.layers.dit;

import chameleon.attention.CrossAttention;
import chameleon.attention.SelfAttention;
import chameleon.kvcache.CrossAttentionCache;
import chameleon.kvcache.KvPlacement;
import chameleon.kvcache.KvRingBuffer;
import chameleon.tensor.Backend;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.ModuleWeights;

/**
 * One DiT block {@code blocks.N} (MODEL.md §2.3 step 4):
 * <pre>
 *   (shift₁, scale₁, gate₁, shift₂, scale₂, gate₂) = modulation + e0
 *   x += gate₁ · SelfAttn(LN(x)·(1+scale₁) + shift₁)
 *   x += CrossAttn(norm3(x), context)
 *   x += gate₂ · FFN(LN(x)·(1+scale₂) + shift₂),   FFN = ffn.2 ∘ GELU_tanh ∘ ffn.0
 * </pre>
 */
public final class WanAttentionBlock {
    private final Tensor modulation; // [1, 6, dim]
    private final SelfAttention selfAttn;
    private final CrossAttention crossAttn;
    private final Tensor norm3Weight; // [dim] or null without cross_attn_norm
    private final Tensor norm3Bias;   // [dim] or null
    private final Linear ffnIn;       // ffn.0 [ffn, dim]
    private final Linear ffnOut;      // ffn.2 [dim, ffn]
    private final float eps;

    public WanAttentionBlock(ModuleWeights w, DitConfig cfg) {
        int dim = cfg.dim();
        this.eps = (float) cfg.eps();
        this.modulation = w.tensor("modulation", 1, 6, dim);
        this.selfAttn = new SelfAttention(
                w.child("self_attn").linear("q", dim, dim), w.child("self_attn").linear("k", dim, dim),
                w.child("self_attn").linear("v", dim, dim), w.child("self_attn").linear("o", dim, dim),
                cfg.qkNorm() ? w.child("self_attn").tensor("norm_q.weight", dim) : null,
                cfg.qkNorm() ? w.child("self_attn").tensor("norm_k.weight", dim) : null,
                cfg.numHeads(), eps);
        this.crossAttn = new CrossAttention(
                w.child("cross_attn").linear("q", dim, dim), w.child("cross_attn").linear("k", dim, dim),
                w.child("cross_attn").linear("v", dim, dim), w.child("cross_attn").linear("o", dim, dim),
                cfg.qkNorm() ? w.child("cross_attn").tensor("norm_q.weight", dim) : null,
                cfg.qkNorm() ? w.child("cross_attn").tensor("norm_k.weight", dim) : null,
                cfg.numHeads(), eps);
        this.norm3Weight = cfg.crossAttnNorm() ? w.tensor("norm3.weight", dim) : null;
        this.norm3Bias = cfg.crossAttnNorm() ? w.tensor("norm3.bias", dim) : null;
        this.ffnIn = w.child("ffn").linear("0", cfg.ffnDim(), dim);
        this.ffnOut = w.child("ffn").linear("2", dim, cfg.ffnDim());
    }

    /**
     * Updates the residual stream in place.
     *
     * @param x       [tokens, dim] residual stream
     * @param e0      [F, 6, dim] time projection per frame
     * @param context [textLen, dim] embedded prompt
     */
    public void forward(Backend backend, Tensor x, Tensor e0, Tensor cos, Tensor sin, Tensor context,
                        KvRingBuffer kv, CrossAttentionCache xattn, KvPlacement placement) {
        Tensor[] m = Modulation.chunks(modulation, e0);
        Tensor h = backend.layerNorm(x, null, null, eps);
        backend.modulate(h, m[0], m[1]);
        backend.addGated(x, selfAttn.forward(backend, h, cos, sin, kv, placement), m[2]);

        Tensor c = crossAttnNormed(backend, x);
        backend.add(x, crossAttn.forward(backend, c, context, xattn));

        Tensor h2 = backend.layerNorm(x, null, null, eps);
        backend.modulate(h2, m[3], m[4]);
        Tensor u = ffnIn.apply(backend, h2);
        backend.geluTanh(u);
        backend.addGated(x, ffnOut.apply(backend, u), m[5]);
    }

    /** [1, 6, dim] {@code modulation}. */
    public Tensor modulation() {
        return modulation;
    }

    public SelfAttention selfAttn() {
        return selfAttn;
    }

    public CrossAttention crossAttn() {
        return crossAttn;
    }

    /** [dim] {@code norm3.weight}, or null without cross_attn_norm. */
    public Tensor norm3Weight() {
        return norm3Weight;
    }

    /** [dim] {@code norm3.bias}, or null. */
    public Tensor norm3Bias() {
        return norm3Bias;
    }

    /** {@code ffn.0} [ffn, dim]. */
    public Linear ffnIn() {
        return ffnIn;
    }

    /** {@code ffn.2} [dim, ffn]. */
    public Linear ffnOut() {
        return ffnOut;
    }

    public float eps() {
        return eps;
    }

    /** This block's cross-attention K/V of {@code context} [textLen, dim] into {@code cache}. */
    public void projectText(Backend backend, Tensor context, CrossAttentionCache cache) {
        crossAttn.project(backend, context, cache);
    }

    private Tensor crossAttnNormed(Backend backend, Tensor x) {
        return norm3Weight == null ? x : backend.layerNorm(x, norm3Weight, norm3Bias, eps);
    }
}
