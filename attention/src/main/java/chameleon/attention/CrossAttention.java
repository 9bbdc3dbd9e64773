package chameleon.attention;

import chameleon.kvcache.CrossAttentionCache;
import chameleon.tensor.Backend;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;

/**
 * Text cross-attention of one DiT block ({@code blocks.N.cross_attn}, Wan's T2V cross-attention):
 * queries from the video tokens, keys and values from the embedded prompt. No mask: the zero-padded
 * prompt rows are attended to, as the causal reference path passes no context lengths.
 *
 * @param normQ [dim] weight of {@code norm_q}, or null
 * @param normK [dim] weight of {@code norm_k}, or null
 */
public record CrossAttention(Linear q, Linear k, Linear v, Linear o, Tensor normQ, Tensor normK,
                             int heads, float eps) {

    /**
     * @param x       [tokens, dim] input after {@code norm3}
     * @param context [textLen, dim] embedded prompt; its K/V are computed once into {@code cache}
     * @return [tokens, dim]
     */
    public Tensor forward(Backend backend, Tensor x, Tensor context, CrossAttentionCache cache) {
        int tokens = x.dim(0), dim = x.dim(1), headDim = dim / heads;
        if (!cache.isInitialized()) {
            project(backend, context, cache);
        }
        Tensor qs = q.apply(backend, x);
        if (normQ != null) {
            qs = backend.rmsNorm(qs, normQ, eps);
        }
        Tensor keys = cache.keys();
        Tensor out = backend.attention(qs.reshape(tokens, heads, headDim), keys, cache.values(), 0, keys.dim(0),
                (float) (1.0 / Math.sqrt(headDim)));
        return o.apply(backend, out.reshape(tokens, dim));
    }

    /**
     * The prompt's K/V into {@code cache}: {@code k} (then {@code norm_k}) and {@code v} of the context,
     * [textLen, heads, headDim] each. {@link #forward} calls this on an empty cache; a caller that shares
     * one prompt between sessions calls it once and hands the same tensors to every session's cache.
     *
     * @param context [textLen, dim] embedded prompt
     */
    public void project(Backend backend, Tensor context, CrossAttentionCache cache) {
        int textLen = context.dim(0), headDim = context.dim(1) / heads;
        Tensor ks = k.apply(backend, context);
        if (normK != null) {
            ks = backend.rmsNorm(ks, normK, eps);
        }
        cache.set(ks.reshape(textLen, heads, headDim), v.apply(backend, context).reshape(textLen, heads, headDim));
    }
}
