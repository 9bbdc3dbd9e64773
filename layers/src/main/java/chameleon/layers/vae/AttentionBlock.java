package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * {@code AttentionBlock(C)} of the encoder and decoder middles: per frame, RMS_norm ({@code norm},
 * images) → 1×1 Conv2d {@code to_qkv} to 3C channels (q = [0, C), k = [C, 2C), v = [2C, 3C)) →
 * single-head attention over the frame's H·W positions, scale 1/√C, no mask → 1×1 Conv2d {@code proj}
 * → plus the input. Frames never attend to each other, so it needs no cache.
 */
final class AttentionBlock {
    private final RmsNorm norm;
    private final Tensor wq, wk, wv; // rows of to_qkv.weight viewed [3C, C]
    private final Tensor bq, bk, bv; // slices of to_qkv.bias [3C]
    private final Tensor wProj;      // proj.weight viewed [C, C]
    private final Tensor bProj;      // [C]
    private final int dim;

    AttentionBlock(ModuleWeights w, int dim) {
        this.dim = dim;
        this.norm = new RmsNorm(w.child("norm"), dim, true);
        ModuleWeights qkv = w.child("to_qkv");
        Tensor wQkv = qkv.tensor("weight", 3 * dim, dim, 1, 1).reshape(3 * dim, dim);
        Tensor bQkv = qkv.tensor("bias", 3 * dim);
        this.wq = wQkv.rows(0, dim);
        this.wk = wQkv.rows(dim, 2 * dim);
        this.wv = wQkv.rows(2 * dim, 3 * dim);
        this.bq = bQkv.rows(0, dim);
        this.bk = bQkv.rows(dim, 2 * dim);
        this.bv = bQkv.rows(2 * dim, 3 * dim);
        ModuleWeights proj = w.child("proj");
        this.wProj = proj.tensor("weight", dim, dim, 1, 1).reshape(dim, dim);
        this.bProj = proj.tensor("bias", dim);
    }

    /** x [C, T, H, W] → [C, T, H, W]. */
    Tensor forward(Backend b, Tensor x) {
        int t = x.dim(1), hw = x.dim(2) * x.dim(3);
        // Token-major view of all frames: [C, T·H·W] → [T·H·W, C]; the 1×1 convs become linears.
        Tensor tokens = b.permute(norm.forward(b, x).reshape(dim, t * hw), 1, 0);
        Tensor q = b.linear(tokens, wq, bq).reshape(t * hw, 1, dim);
        Tensor k = b.linear(tokens, wk, bk).reshape(t * hw, 1, dim);
        Tensor v = b.linear(tokens, wv, bv).reshape(t * hw, 1, dim);
        Tensor attended = Tensor.zeros(t * hw, 1, dim);
        float scale = (float) (1.0 / Math.sqrt(dim));
        for (int f = 0; f < t; f++) {
            // Frame f's queries see exactly frame f's keys: rows [f·HW, (f+1)·HW).
            Tensor o = b.attention(q.rows(f * hw, (f + 1) * hw), k, v, f * hw, (f + 1) * hw, scale);
            b.copyRows(o, 0, attended, f * hw, hw);
        }
        Tensor out = b.linear(attended.reshape(t * hw, dim), wProj, bProj); // [T·H·W, C]
        Tensor y = b.permute(out, 1, 0).reshape(dim, t, x.dim(2), x.dim(3));
        b.add(y, x);
        return y;
    }
}
