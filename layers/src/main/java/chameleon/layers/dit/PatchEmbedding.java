package chameleon.layers.dit;

import chameleon.tensor.Backend;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.ModuleWeights;

/**
 * {@code patch_embedding}: a Conv3d with kernel = stride = (pt, ph, pw), computed as a gather of each
 * patch into a row followed by a GEMM with the flattened kernel.
 * Token (f, h, w) = Σ W[o, c, p, q, r] · x[c, f·pt+p, h·ph+q, w·pw+r] + b[o], tokens in (f, h, w) order.
 */
public final class PatchEmbedding {
    private final Linear conv; // weight viewed as [dim, in·pt·ph·pw]
    private final DitConfig.Patch patch;
    private final int inDim;

    public PatchEmbedding(ModuleWeights w, DitConfig cfg) {
        DitConfig.Patch p = cfg.patch();
        Tensor weight = w.tensor("weight", cfg.dim(), cfg.inDim(), p.t(), p.h(), p.w());
        this.conv = new Linear(weight.reshape(cfg.dim(), cfg.inDim() * p.volume()), w.tensor("bias", cfg.dim()));
        this.patch = p;
        this.inDim = cfg.inDim();
    }

    /**
     * @param x [inDim, F, H, W] latents
     * @return [F/pt · H/ph · W/pw, dim]
     */
    public Tensor forward(Backend backend, Tensor x) {
        return conv.apply(backend, patches(x));
    }

    /** The flattened conv kernel, [dim, in·pt·ph·pw], and its bias [dim]. */
    public Linear conv() {
        return conv;
    }

    /**
     * The gather half of the conv: every patch as one row.
     *
     * @param x [inDim, F, H, W] latents
     * @return [F/pt · H/ph · W/pw, in·pt·ph·pw]
     */
    public Tensor patches(Tensor x) {
        int c = x.dim(0), frames = x.dim(1), height = x.dim(2), width = x.dim(3);
        int pt = patch.t(), ph = patch.h(), pw = patch.w();
        if (c != inDim || frames % pt != 0 || height % ph != 0 || width % pw != 0) {
            throw new IllegalArgumentException("latents " + x.shape() + " must be [" + inDim + ", F, H, W] with F, H, W"
                    + " divisible by the patch " + pt + "×" + ph + "×" + pw);
        }
        int tf = frames / pt, th = height / ph, tw = width / pw;
        int cols = c * patch.volume();
        float[] src = x.toF32().array();
        int so = x.toF32().arrayOffset();
        float[] rows = new float[tf * th * tw * cols]; // [tokens, in·pt·ph·pw]
        for (int f = 0; f < tf; f++) {
            for (int h = 0; h < th; h++) {
                for (int w = 0; w < tw; w++) {
                    int row = ((f * th + h) * tw + w) * cols;
                    for (int ch = 0; ch < c; ch++) {
                        for (int p = 0; p < pt; p++) {
                            for (int q = 0; q < ph; q++) {
                                int base = so + ((ch * frames + f * pt + p) * height + h * ph + q) * width + w * pw;
                                int col = row + ((ch * pt + p) * ph + q) * pw;
                                System.arraycopy(src, base, rows, col, pw);
                            }
                        }
                    }
                }
            }
        }
        return Tensor.of(rows, tf * th * tw, cols);
    }
}
