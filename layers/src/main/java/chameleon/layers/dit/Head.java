package chameleon.layers.dit;

import chameleon.tensor.Backend;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.ModuleWeights;

/**
 * {@code head}: (shift, scale) = head.modulation + e; out = head.head(LN(x)·(1+scale)+shift), then
 * unpatchify. Column ((p·ph + q)·pw + r)·C + c of token (f, h, w) is v[c, f·pt+p, h·ph+q, w·pw+r].
 */
public final class Head {
    private final Tensor modulation; // [1, 2, dim]
    private final Linear head;       // head.head [outDim·pt·ph·pw, dim]
    private final DitConfig.Patch patch;
    private final int outDim;
    private final float eps;

    public Head(ModuleWeights w, DitConfig cfg) {
        this.modulation = w.tensor("modulation", 1, 2, cfg.dim());
        this.patch = cfg.patch();
        this.outDim = cfg.outDim();
        this.head = w.linear("head", cfg.outDim() * patch.volume(), cfg.dim());
        this.eps = (float) cfg.eps();
    }

    /** [1, 2, dim] {@code head.modulation}. */
    public Tensor modulation() {
        return modulation;
    }

    /** {@code head.head} [outDim·pt·ph·pw, dim]. */
    public Linear linear() {
        return head;
    }

    public float eps() {
        return eps;
    }

    /**
     * @param x [tokens, dim] residual stream
     * @param e [F, dim] time embedding per frame
     * @return [tokens, outDim·pt·ph·pw] before unpatchify
     */
    public Tensor forward(Backend backend, Tensor x, Tensor e) {
        Tensor[] m = Modulation.chunks(modulation, e);
        Tensor h = backend.layerNorm(x, null, null, eps);
        backend.modulate(h, m[0], m[1]);
        return head.apply(backend, h);
    }

    /**
     * @param out [F'·H'·W', outDim·pt·ph·pw] head output for a token grid F'×H'×W'
     * @return [outDim, F'·pt, H'·ph, W'·pw]
     */
    public Tensor unpatchify(Tensor out, int gridF, int gridH, int gridW) {
        int pt = patch.t(), ph = patch.h(), pw = patch.w(), c = outDim;
        int frames = gridF * pt, height = gridH * ph, width = gridW * pw;
        float[] src = out.toFloatArray();
        float[] dst = new float[c * frames * height * width];
        int cols = c * patch.volume();
        for (int f = 0; f < gridF; f++) {
            for (int h = 0; h < gridH; h++) {
                for (int w = 0; w < gridW; w++) {
                    int row = ((f * gridH + h) * gridW + w) * cols;
                    for (int p = 0; p < pt; p++) {
                        for (int q = 0; q < ph; q++) {
                            for (int r = 0; r < pw; r++) {
                                int col = row + ((p * ph + q) * pw + r) * c;
                                for (int ch = 0; ch < c; ch++) {
                                    dst[((ch * frames + f * pt + p) * height + h * ph + q) * width + w * pw + r] = src[col + ch];
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor.of(dst, c, frames, height, width);
    }
}
