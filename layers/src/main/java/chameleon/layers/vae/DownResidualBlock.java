package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * An encoder stage, {@code Down_ResidualBlock} ({@code encoder.downsamples.i}): {@code downsamples.0 …
 * mult−1} ResidualBlocks (the first maps in → out), then {@code downsamples.mult} = Resample
 * (downsample3d when temporal, downsample2d otherwise) when the stage downsamples; plus the
 * {@link AvgDown3D} shortcut of the stage input.
 */
final class DownResidualBlock {
    private final ResidualBlock[] blocks;
    private final Resample resample;  // null for the last stage
    private final AvgDown3D shortcut; // avg_shortcut

    DownResidualBlock(ModuleWeights w, int inDim, int outDim, int mult, boolean temporal, boolean down,
                      FeatureCache.Numbering slots) {
        ModuleWeights seq = w.child("downsamples");
        this.shortcut = new AvgDown3D(inDim, outDim, temporal ? 2 : 1, down ? 2 : 1);
        this.blocks = new ResidualBlock[mult];
        for (int i = 0; i < mult; i++) {
            blocks[i] = new ResidualBlock(seq.child(i), i == 0 ? inDim : outDim, outDim, slots);
        }
        this.resample = down ? new Resample(seq.child(mult), outDim,
                temporal ? Resample.Mode.DOWNSAMPLE3D : Resample.Mode.DOWNSAMPLE2D, slots) : null;
    }

    /** x [in, T, H, W] → [out, T', H/2, W/2] (or [out, T, H, W] for the last stage). */
    Tensor forward(Backend b, Tensor x, FeatureCache cache) {
        Tensor y = x;
        for (ResidualBlock block : blocks) {
            y = block.forward(b, y, cache);
        }
        if (resample != null) {
            y = resample.forward(b, y, cache);
        }
        b.add(y, shortcut.forward(b, x));
        return y;
    }
}
