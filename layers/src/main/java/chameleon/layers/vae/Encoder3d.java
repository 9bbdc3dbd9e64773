package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * {@code encoder} ({@code Encoder3d}): {@code conv1} CausalConv3d(12 → dims[0]) → {@code downsamples.i}
 * stages → {@code middle} [ResidualBlock, AttentionBlock, ResidualBlock] → {@code head} RMS_norm (.0)
 * → SiLU → CausalConv3d(→ 2·z) (.2). Runs one chunk of patchified frames at a time (frame 0 alone,
 * then groups of 4) against a {@link FeatureCache} it numbered itself.
 */
final class Encoder3d {
    private final CausalConv3d conv1;
    private final DownResidualBlock[] stages;
    private final ResidualBlock middle0;
    private final AttentionBlock middle1;
    private final ResidualBlock middle2;
    private final RmsNorm headNorm;
    private final CausalConv3d headConv;
    private final int cacheSlots;

    Encoder3d(ModuleWeights w, VaeConfig cfg) {
        FeatureCache.Numbering slots = new FeatureCache.Numbering();
        int[] dims = cfg.encoderDims();
        this.conv1 = CausalConv3d.cube(w.child("conv1"), VaeConfig.PATCH_CHANNELS, dims[0], 3, slots);
        int n = cfg.dimMult().length;
        this.stages = new DownResidualBlock[n];
        for (int i = 0; i < n; i++) {
            boolean temporal = i < cfg.temporalDownsample().length && cfg.temporalDownsample()[i];
            stages[i] = new DownResidualBlock(w.child("downsamples").child(i), dims[i], dims[i + 1], cfg.numResBlocks(),
                    temporal, i != n - 1, slots);
        }
        int c = dims[n];
        ModuleWeights mid = w.child("middle");
        this.middle0 = new ResidualBlock(mid.child(0), c, c, slots);
        this.middle1 = new AttentionBlock(mid.child(1), c);
        this.middle2 = new ResidualBlock(mid.child(2), c, c, slots);
        this.headNorm = new RmsNorm(w.child("head").child(0), c, false);
        this.headConv = CausalConv3d.cube(w.child("head").child(2), c, 2 * cfg.zDim(), 3, slots);
        this.cacheSlots = slots.count();
    }

    /** A fresh cache for one encode. */
    FeatureCache newCache() {
        return new FeatureCache(cacheSlots);
    }

    /** One chunk x [12, T, H, W] (T = 1 first, then 4) → [2z, T', H/8, W/8] (T' = 1). */
    Tensor forward(Backend b, Tensor x, FeatureCache cache) {
        x = conv1.forward(b, x, cache);
        for (DownResidualBlock stage : stages) {
            x = stage.forward(b, x, cache);
        }
        x = middle0.forward(b, x, cache);
        x = middle1.forward(b, x);
        x = middle2.forward(b, x, cache);
        x = headNorm.forward(b, x);
        b.silu(x);
        return headConv.forward(b, x, cache);
    }
}
