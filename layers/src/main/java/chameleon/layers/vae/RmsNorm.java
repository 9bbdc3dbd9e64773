package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * The VAE's {@code RMS_norm}: each position's channel vector is scaled to unit L2 norm, then by √C and
 * the learned {@code <prefix>gamma} ({@code [C, 1, 1, 1]} in video blocks, {@code [C, 1, 1]} in the
 * attention block, which works on images). No bias.
 */
final class RmsNorm {
    private final Tensor gamma;

    RmsNorm(ModuleWeights w, int dim, boolean images) {
        this.gamma = images ? w.tensor("gamma", dim, 1, 1) : w.tensor("gamma", dim, 1, 1, 1);
    }

    /** x [C, T, H, W] → a new normalised tensor of the same shape. */
    Tensor forward(Backend b, Tensor x) {
        return b.channelRmsNorm(x, gamma);
    }
}
