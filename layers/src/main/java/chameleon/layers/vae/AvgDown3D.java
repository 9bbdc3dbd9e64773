package chameleon.layers.vae;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * {@code AvgDown3D(in, out, factor_t, factor_s)}: the parameter-free shortcut of a downsampling encoder
 * stage, the inverse arrangement of {@link DupUp3D}. Time is zero-padded in front to a multiple of
 * ft; each ft×fs×fs block of a channel becomes ft·fs·fs channels ordered (c, ft, fs_h, fs_w); and
 * consecutive groups of {@code in·ft·fs·fs / out} of those channels are averaged.
 */
final class AvgDown3D {
    private final int in, out, ft, fs, group;

    AvgDown3D(int in, int out, int ft, int fs) {
        int factor = ft * fs * fs;
        if (in * factor % out != 0) {
            throw new IllegalArgumentException("AvgDown3D: " + in + "·" + factor + " is not a multiple of " + out);
        }
        this.in = in;
        this.out = out;
        this.ft = ft;
        this.fs = fs;
        this.group = in * factor / out;
    }

    /** x [in, T, H, W] → [out, ⌈T/ft⌉, H/fs, W/fs]. */
    Tensor forward(Backend b, Tensor x) {
        if (ft == 1 && fs == 1 && group == 1) {
            return x; // in == out, no resampling: the identity
        }
        int padT = (ft - x.dim(1) % ft) % ft;
        if (padT > 0) {
            x = b.concat(1, Tensor.zeros(in, padT, x.dim(2), x.dim(3)), x);
        }
        int t = x.dim(1) / ft, h = x.dim(2) / fs, w = x.dim(3) / fs;
        // [in, T', ft, H', fs_h, W', fs_w] → [in, ft, fs_h, fs_w, T', H', W'] = [out, group, T'·H'·W']
        Tensor blocks = b.permute(x.reshape(in, t, ft, h, fs, w, fs), 0, 2, 4, 6, 1, 3, 5);
        return b.mean(blocks.reshape(out, group, t * h * w), 1).reshape(out, t, h, w);
    }
}
