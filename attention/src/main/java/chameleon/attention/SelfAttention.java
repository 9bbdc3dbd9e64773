package chameleon.attention;

import chameleon.kvcache.AttentionWindow;
import chameleon.kvcache.KvPlacement;
import chameleon.kvcache.KvRingBuffer;
import chameleon.tensor.Backend;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;

/**
 * Causal self-attention of one DiT block over its KV ring buffer ({@code blocks.N.self_attn}):
 * q = RMSNorm_q(h·W_qᵀ + b_q), k = RMSNorm_k(h·W_kᵀ + b_k) over the full dim, v = h·W_vᵀ + b_v; RoPE on
 * q and k; the chunk's k, v go into the cache, then the chunk's queries attend to the cache window
 * (bidirectional inside the chunk, causal across chunks); output projection W_o.
 *
 * @param normQ [dim] weight of {@code norm_q}, or null without qk-norm
 * @param normK [dim] weight of {@code norm_k}, or null without qk-norm
 */
public record SelfAttention(Linear q, Linear k, Linear v, Linear o, Tensor normQ, Tensor normK,
                            int heads, float eps) {

    /**
     * @param h            [tokens, dim] normalised, modulated input
     * @param cos          [tokens, headDim/2] RoPE table for these tokens
     * @param sin          [tokens, headDim/2]
     * @param placement    where the chunk's K/V go in the cache (streaming append/repeat or a fixed slot)
     * @return [tokens, dim] attention output after W_o
     */
    public Tensor forward(Backend backend, Tensor h, Tensor cos, Tensor sin, KvRingBuffer cache, KvPlacement placement) {
        int tokens = h.dim(0), dim = h.dim(1), headDim = dim / heads;
        Tensor qs = project(backend, q, normQ, h).reshape(tokens, heads, headDim);
        Tensor ks = project(backend, k, normK, h).reshape(tokens, heads, headDim);
        Tensor vs = v.apply(backend, h).reshape(tokens, heads, headDim);
        backend.rope(qs, cos, sin);
        backend.rope(ks, cos, sin);
        AttentionWindow window = placement.place(cache, backend, ks, vs);
        Tensor out = backend.attention(qs, cache.keys(), cache.values(), window.from(), window.to(),
                (float) (1.0 / Math.sqrt(headDim)));
        return o.apply(backend, out.reshape(tokens, dim));
    }

    private Tensor project(Backend backend, Linear proj, Tensor norm, Tensor h) {
        Tensor y = proj.apply(backend, h);
        return norm == null ? y : backend.rmsNorm(y, norm, eps);
    }
}
