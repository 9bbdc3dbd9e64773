package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * A decoder stage, {@code Up_ResidualBlock} ({@code decoder.upsamples.i}): {@code upsamples.0 … mult−1}
 * ResidualBlocks (the first maps in → out), then {@code upsamples.mult} = Resample (upsample3d when
 * temporal, upsample2d otherwise) when the stage upsamples, in which case the stage input also passes
 * through the {@link DupUp3D} shortcut and is added.
 */
final class UpResidualBlock {
    private final ResidualBlock[] blocks;
    private final Resample resample; // null for the last stage
    private final DupUp3D shortcut;  // avg_shortcut; null for the last stage

    UpResidualBlock(ModuleWeights w, int inDim, int outDim, int mult, boolean temporal, boolean up,
                    FeatureCache.Numbering slots) {
        ModuleWeights seq = w.child("upsamples");
        this.blocks = new ResidualBlock[mult];
        for (int i = 0; i < mult; i++) {
            blocks[i] = new ResidualBlock(seq.child(i), i == 0 ? inDim : outDim, outDim, slots);
        }
        this.resample = up ? new Resample(seq.child(mult), outDim,
                temporal ? Resample.Mode.UPSAMPLE3D : Resample.Mode.UPSAMPLE2D, slots) : null;
        this.shortcut = up ? new DupUp3D(inDim, outDim, temporal ? 2 : 1, 2) : null;
    }

    /** x [in, T, H, W] → [out, T', 2H, 2W] (or [out, T, H, W] for the last stage). */
    Tensor forward(Backend b, Tensor x, FeatureCache cache, boolean firstChunk) {
        Tensor y = x;
        for (ResidualBlock block : blocks) {
            y = block.forward(b, y, cache);
        }
        if (resample != null) {
            y = resample.forward(b, y, cache);
            b.add(y, shortcut.forward(b, x, firstChunk));
        }
        return y;
    }
}
