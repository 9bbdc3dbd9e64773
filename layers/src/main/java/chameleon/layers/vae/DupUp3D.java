package chameleon.layers.vae;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * {@code DupUp3D(in, out, factor_t, factor_s)}: the parameter-free shortcut of an upsampling decoder
 * stage. Every input channel is repeated {@code r = out·ft·fs·fs / in} times; the resulting
 * {@code out·ft·fs·fs} channels are read as (out, ft, fs, fs) and scattered into ft consecutive
 * frames and an fs×fs pixel block. In the first chunk the first ft − 1 frames are dropped, matching
 * the skipped temporal step of upsample3d.
 */
final class DupUp3D {
    private final int in, out, ft, fs, repeats;

    DupUp3D(int in, int out, int ft, int fs) {
        int factor = ft * fs * fs;
        if (out * factor % in != 0) {
            throw new IllegalArgumentException("DupUp3D: " + out + "·" + factor + " is not a multiple of " + in);
        }
        this.in = in;
        this.out = out;
        this.ft = ft;
        this.fs = fs;
        this.repeats = out * factor / in;
    }

    /** x [in, T, H, W] → [out, T·ft (− ft + 1 on the first chunk), H·fs, W·fs]. */
    Tensor forward(Backend b, Tensor x, boolean firstChunk) {
        int t = x.dim(1), h = x.dim(2), w = x.dim(3);
        Tensor flat = x.reshape(in, 1, t * h * w);
        Tensor[] copies = new Tensor[repeats];
        java.util.Arrays.fill(copies, flat);
        Tensor repeated = repeats == 1 ? flat : b.concat(1, copies); // repeat_interleave: [in, r, T·H·W]
        // [out, ft, fs_h, fs_w, T, H, W] → [out, T, ft, H, fs_h, W, fs_w]
        Tensor y = b.permute(repeated.reshape(out, ft, fs, fs, t, h, w), 0, 4, 1, 5, 2, 6, 3)
                .reshape(out, t * ft, h * fs, w * fs);
        return firstChunk && ft > 1 ? b.slice(y, 1, ft - 1, t * ft) : y;
    }
}
