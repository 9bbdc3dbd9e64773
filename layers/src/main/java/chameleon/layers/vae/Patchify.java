package chameleon.layers.vae;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * The 2×2 pixel (un)shuffle around the Wan2.2 VAE ({@code patchify} / {@code unpatchify},
 * {@code "b c f (h q) (w r) -> b (c r q) f h w"}): pixel (2h + q, 2w + r) of colour c is channel
 * {@code c·4 + r·2 + q} at (h, w).
 */
public final class Patchify {
    private Patchify() {
    }

    /** x [C, F, 2h, 2w] → [4C, F, h, w]. */
    public static Tensor patchify(Backend b, Tensor x) {
        int c = x.dim(0), f = x.dim(1), h = x.dim(2) / 2, w = x.dim(3) / 2;
        if (x.dim(2) % 2 != 0 || x.dim(3) % 2 != 0) {
            throw new IllegalArgumentException("patchify: H and W of " + x.shape() + " must be even");
        }
        // [c, f, h, q, w, r] → [c, r, q, f, h, w]
        return b.permute(x.reshape(c, f, h, 2, w, 2), 0, 5, 3, 1, 2, 4).reshape(4 * c, f, h, w);
    }

    /** x [4C, F, h, w] → [C, F, 2h, 2w]. */
    public static Tensor unpatchify(Backend b, Tensor x) {
        if (x.dim(0) % 4 != 0) {
            throw new IllegalArgumentException("unpatchify: " + x.shape() + " needs a multiple of 4 channels");
        }
        int c = x.dim(0) / 4, f = x.dim(1), h = x.dim(2), w = x.dim(3);
        // [c, r, q, f, h, w] → [c, f, h, q, w, r]
        return b.permute(x.reshape(c, 2, 2, f, h, w), 0, 3, 4, 2, 5, 1).reshape(c, f, 2 * h, 2 * w);
    }
}
