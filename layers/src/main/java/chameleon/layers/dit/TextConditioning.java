package chameleon.layers.dit;

import chameleon.kvcache.CrossAttentionCache;
import chameleon.kvcache.KvCache;
import chameleon.tensor.Tensor;
import java.util.List;

/**
 * Everything the DiT computes from a prompt alone: the embedded context and every block's cross-attention
 * K/V. It depends on nothing else (not the video, not the step), so one instance serves any number of
 * sessions; they read it and never write it.
 *
 * @param context  [textLen, dim] {@code text_embedding} of the prompt
 * @param crossKv  per block, K/V [textLen, heads, headDim] each
 */
public record TextConditioning(Tensor context, List<CrossAttentionCache> crossKv) {
    public TextConditioning {
        crossKv = List.copyOf(crossKv);
    }

    /** Points every layer's cross-attention cache of {@code cache} at these K/V (no copy). */
    public void installInto(KvCache cache) {
        if (cache.layers() != crossKv.size()) {
            throw new IllegalArgumentException("KV cache has " + cache.layers() + " layers, the prompt's K/V "
                    + crossKv.size());
        }
        for (int i = 0; i < crossKv.size(); i++) {
            cache.cross(i).set(crossKv.get(i).keys(), crossKv.get(i).values());
        }
    }

    /** Bytes held: the context plus every layer's K and V. */
    public long bytes() {
        long n = context.segment().byteSize();
        for (CrossAttentionCache c : crossKv) {
            n += c.keys().segment().byteSize() + c.values().segment().byteSize();
        }
        return n;
    }
}
