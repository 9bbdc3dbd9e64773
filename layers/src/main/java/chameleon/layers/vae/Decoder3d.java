package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * {@code decoder} ({@code Decoder3d}): {@code conv1} CausalConv3d(z → dims[0]) → {@code middle}
 * [ResidualBlock, AttentionBlock, ResidualBlock] → {@code upsamples.i} stages → {@code head} RMS_norm
 * (.0) → SiLU → CausalConv3d(→ 12) (.2). Runs one latent frame at a time against a {@link FeatureCache}
 * it numbered itself (MODEL.md §3.3–3.4).
 */
final class Decoder3d {
    private final CausalConv3d conv1;
    private final ResidualBlock middle0;
    private final AttentionBlock middle1;
    private final ResidualBlock middle2;
    private final UpResidualBlock[] stages;
    private final RmsNorm headNorm;
    private final CausalConv3d headConv;
    private final int cacheSlots;

    Decoder3d(ModuleWeights w, VaeConfig cfg) {
        FeatureCache.Numbering slots = new FeatureCache.Numbering();
        int[] dims = cfg.decoderDims();
        this.conv1 = CausalConv3d.cube(w.child("conv1"), cfg.zDim(), dims[0], 3, slots);
        ModuleWeights mid = w.child("middle");
        this.middle0 = new ResidualBlock(mid.child(0), dims[0], dims[0], slots);
        this.middle1 = new AttentionBlock(mid.child(1), dims[0]);
        this.middle2 = new ResidualBlock(mid.child(2), dims[0], dims[0], slots);
        int n = cfg.dimMult().length;
        this.stages = new UpResidualBlock[n];
        for (int i = 0; i < n; i++) {
            boolean temporal = i < cfg.temporalUpsample().length && cfg.temporalUpsample()[i];
            stages[i] = new UpResidualBlock(w.child("upsamples").child(i), dims[i], dims[i + 1], cfg.numResBlocks() + 1,
                    temporal, i != n - 1, slots);
        }
        this.headNorm = new RmsNorm(w.child("head").child(0), dims[n], false);
        this.headConv = CausalConv3d.cube(w.child("head").child(2), dims[n], VaeConfig.PATCH_CHANNELS, 3, slots);
        this.cacheSlots = slots.count();
    }

    /** A fresh cache for one stream. */
    FeatureCache newCache() {
        return new FeatureCache(cacheSlots);
    }

    /**
     * One latent frame x [z, 1, h, w] (after {@code conv2}) → [12, F, 8h, 8w] with F = 1 on the first
     * chunk and 4 afterwards (for the Wan2.2 layout).
     */
    Tensor forward(Backend b, Tensor x, FeatureCache cache, boolean firstChunk) {
        x = conv1.forward(b, x, cache);
        x = middle0.forward(b, x, cache);
        x = middle1.forward(b, x);
        x = middle2.forward(b, x, cache);
        for (UpResidualBlock stage : stages) {
            x = stage.forward(b, x, cache, firstChunk);
        }
        x = headNorm.forward(b, x);
        b.silu(x);
        return headConv.forward(b, x, cache);
    }
}
