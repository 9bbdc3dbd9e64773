package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * {@code ResidualBlock(in, out)}: {@code residual} = RMS_norm (.0) → SiLU → CausalConv3d 3³ (.2) →
 * RMS_norm (.3) → SiLU → dropout → CausalConv3d 3³ (.6), plus {@code shortcut} = a 1³ CausalConv3d
 * when in ≠ out (identity otherwise). Both 3³ convolutions are cached.
 */
final class ResidualBlock {
    private final RmsNorm norm1;       // residual.0
    private final CausalConv3d conv1;  // residual.2
    private final RmsNorm norm2;       // residual.3
    private final CausalConv3d conv2;  // residual.6
    private final CausalConv3d shortcut; // null when in == out

    ResidualBlock(ModuleWeights w, int inDim, int outDim, FeatureCache.Numbering slots) {
        ModuleWeights r = w.child("residual");
        this.norm1 = new RmsNorm(r.child(0), inDim, false);
        this.conv1 = CausalConv3d.cube(r.child(2), inDim, outDim, 3, slots);
        this.norm2 = new RmsNorm(r.child(3), outDim, false);
        this.conv2 = CausalConv3d.cube(r.child(6), outDim, outDim, 3, slots);
        this.shortcut = inDim == outDim ? null : CausalConv3d.cube(w.child("shortcut"), inDim, outDim, 1, null);
    }

    /** x [in, T, H, W] → [out, T, H, W]. */
    Tensor forward(Backend b, Tensor x, FeatureCache cache) {
        Tensor h = shortcut == null ? x : shortcut.forward(b, x, (Tensor) null);
        Tensor y = norm1.forward(b, x);
        b.silu(y);
        y = conv1.forward(b, y, cache);
        y = norm2.forward(b, y);
        b.silu(y);
        y = conv2.forward(b, y, cache);
        b.add(y, h);
        return y;
    }
}
