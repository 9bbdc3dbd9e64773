package chameleon.kvcache;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole model's cache: one self-attention {@link KvRingBuffer} and one {@link CrossAttentionCache}
 * per DiT block, plus the geometry they were sized with.
 */
public final class KvCache {
    private final List<KvRingBuffer> self;
    private final List<CrossAttentionCache> cross;
    private final KvCacheGeometry geometry;

    public KvCache(KvCacheGeometry geometry, int layers, int heads, int headDim) {
        this.geometry = geometry;
        this.self = new ArrayList<>(layers);
        this.cross = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            self.add(new KvRingBuffer(geometry.capacityTokens(), heads, headDim, geometry.sinkTokens(),
                    geometry.maxAttentionTokens()));
            cross.add(new CrossAttentionCache());
        }
    }

    public KvRingBuffer self(int layer) {
        return self.get(layer);
    }

    public CrossAttentionCache cross(int layer) {
        return cross.get(layer);
    }

    public int layers() {
        return self.size();
    }

    public KvCacheGeometry geometry() {
        return geometry;
    }
}
