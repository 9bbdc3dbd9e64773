package chameleon.kvcache;

/**
 * Sizes of the self-attention cache, in latent frames and tokens. FashionChameleon at 1280×704:
 * 880 tokens per frame, a 23-frame window (capacity 20 240 tokens), a 5-frame sink (reference, garment
 * and the first 3-frame chunk) and an attention span of the whole window.
 *
 * @param tokensPerFrame     DiT tokens of one latent frame (H/2 · W/2 of the latent)
 * @param windowFrames       {@code local_attn_size}: frames the buffer holds
 * @param sinkFrames         frames at the front that are never evicted
 * @param attentionFrames    {@code max_attention_size} in frames (the reference hard-codes 23·880 tokens)
 */
public record KvCacheGeometry(int tokensPerFrame, int windowFrames, int sinkFrames, int attentionFrames) {
    public KvCacheGeometry {
        if (tokensPerFrame <= 0 || windowFrames <= 0 || sinkFrames < 0 || sinkFrames > windowFrames || attentionFrames <= 0) {
            throw new IllegalArgumentException("bad KV cache geometry: " + tokensPerFrame + " tokens/frame, window "
                    + windowFrames + ", sink " + sinkFrames + ", attention " + attentionFrames);
        }
    }

    public int capacityTokens() {
        return Math.multiplyExact(tokensPerFrame, windowFrames);
    }

    public int sinkTokens() {
        return tokensPerFrame * sinkFrames;
    }

    public int maxAttentionTokens() {
        return Math.multiplyExact(tokensPerFrame, attentionFrames);
    }
}
