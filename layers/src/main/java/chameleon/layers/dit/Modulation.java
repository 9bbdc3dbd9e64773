package chameleon.layers.dit;

import chameleon.tensor.Tensor;

/**
 * adaLN parameters of a block or the head: a learned table ({@code modulation} [1, n, dim]) plus the
 * per-frame time embedding, split into its n chunks. Blocks: n = 6 (shift₁, scale₁, gate₁, shift₂,
 * scale₂, gate₂) with e0 [F, 6, dim]; head: n = 2 (shift, scale) with e [F, dim] broadcast to both.
 */
final class Modulation {
    private Modulation() {
    }

    /**
     * @param table [1, n, dim] learned modulation
     * @param e     [F, n, dim], or [F, dim] to add the same row to every chunk
     * @return n tensors [F, dim]: {@code table[0, k] + e[f, k]}
     */
    static Tensor[] chunks(Tensor table, Tensor e) {
        int n = table.dim(1), dim = table.dim(2), frames = e.dim(0);
        boolean broadcast = e.shape().rank() == 2;
        float[] t = table.toFloatArray();
        float[] ea = e.toFloatArray();
        Tensor[] out = new Tensor[n];
        for (int k = 0; k < n; k++) {
            float[] o = new float[frames * dim];
            for (int f = 0; f < frames; f++) {
                int eo = broadcast ? f * dim : (f * n + k) * dim;
                for (int c = 0; c < dim; c++) {
                    o[f * dim + c] = t[k * dim + c] + ea[eo + c];
                }
            }
            out[k] = Tensor.of(o, frames, dim);
        }
        return out;
    }
}
