package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * {@code Resample(C, mode)}: the ×2 spatial resampling that closes a VAE stage, with an optional
 * temporal ×2 ({@code time_conv}).
 * <ul>
 * <li>upsample2d: nearest ×2 in H and W, then {@code resample.1} Conv2d(C, C, 3, pad 1) per frame.</li>
 * <li>upsample3d: first {@code time_conv} = CausalConv3d(C, 2C, (3,1,1), pad (1,0,0)) whose output
 *     channels [0, C) and [C, 2C) become frames 2i and 2i+1, then as upsample2d.</li>
 * <li>downsample2d: zero-pad one row below and one column right, then {@code resample.1}
 *     Conv2d(C, C, 3, stride 2) per frame.</li>
 * <li>downsample3d: as downsample2d, then {@code time_conv} = Conv3d(C, C, (3,1,1), stride (2,1,1)),
 *     no padding, over the previous chunk's last frame followed by this chunk.</li>
 * </ul>
 * The 3d modes own a {@link FeatureCache} slot with their own rules (MODEL.md §3.4): on the first
 * chunk the temporal step is skipped (upsample3d stores the "Rep" marker, downsample3d the frames).
 */
final class Resample {
    enum Mode {
        UPSAMPLE2D, UPSAMPLE3D, DOWNSAMPLE2D, DOWNSAMPLE3D;

        boolean up() {
            return this == UPSAMPLE2D || this == UPSAMPLE3D;
        }

        boolean temporal() {
            return this == UPSAMPLE3D || this == DOWNSAMPLE3D;
        }
    }

    private final Mode mode;
    private final int dim;
    private final Tensor weight;        // resample.1.weight [C, C, 3, 3] viewed [C, C, 1, 3, 3]
    private final Tensor bias;          // resample.1.bias [C]
    private final CausalConv3d timeConv; // null for the 2d modes
    private final int slot;             // FeatureCache slot of the 3d modes, else -1

    Resample(ModuleWeights w, int dim, Mode mode, FeatureCache.Numbering slots) {
        this.mode = mode;
        this.dim = dim;
        ModuleWeights conv = w.child("resample").child(1);
        this.weight = conv.tensor("weight", dim, dim, 3, 3).reshape(dim, dim, 1, 3, 3);
        this.bias = conv.tensor("bias", dim);
        this.timeConv = switch (mode) {
            case UPSAMPLE3D -> new CausalConv3d(w.child("time_conv"), dim, 2 * dim, new int[] {3, 1, 1},
                    new int[] {1, 0, 0}, 1, null);
            case DOWNSAMPLE3D -> new CausalConv3d(w.child("time_conv"), dim, dim, new int[] {3, 1, 1},
                    new int[] {0, 0, 0}, 2, null);
            default -> null;
        };
        this.slot = mode.temporal() ? slots.next() : -1;
    }

    /** x [C, T, H, W] → [C, T', 2H, 2W] (up) or [C, T', H/2, W/2] (down); T' as the temporal rules say. */
    Tensor forward(Backend b, Tensor x, FeatureCache cache) {
        if (mode == Mode.UPSAMPLE3D && cache != null) {
            x = upsampleTime(b, x, cache);
        }
        Tensor y = mode.up()
                ? b.conv3d(b.upsampleNearest2x(x), weight, bias, 1, 1, 1, 1, 1, 1, 1)
                : b.conv3d(x, weight, bias, 1, 2, 2, 0, 1, 0, 1); // ZeroPad2d((0, 1, 0, 1)) + stride 2
        if (mode == Mode.DOWNSAMPLE3D && cache != null) {
            y = downsampleTime(b, y, cache);
        }
        return y;
    }

    /**
     * upsample3d's {@code time_conv}. First chunk: slot := Rep, no temporal doubling. Second chunk (slot
     * Rep): window [0, 0, x₁] and the slot keeps [0, x₁]. Later: the slot's frames stand in for the
     * padding, as for any cached CausalConv3d. x [C, T, H, W] → [C, 2T, H, W].
     */
    private Tensor upsampleTime(Backend b, Tensor x, FeatureCache cache) {
        if (cache.isEmpty(slot)) {
            cache.putRep(slot);
            return x;
        }
        boolean rep = cache.isRep(slot);
        Tensor keep;
        if (rep && x.dim(1) < FeatureCache.CACHE_T) {
            keep = b.concat(1, Tensor.zeros(dim, 1, x.dim(2), x.dim(3)), x);
        } else {
            keep = CausalConv3d.framesToCache(b, x, cache.frames(slot));
        }
        Tensor y = timeConv.forward(b, x, rep ? null : cache.frames(slot)); // [2C, T, H, W]
        cache.putFrames(slot, keep);
        int t = x.dim(1), h = x.dim(2), w = x.dim(3);
        // [2, C, T, H, W] → [C, T, 2, H, W]: output frame 2i + j is channel block j of step i.
        return b.permute(y.reshape(2, dim, t, h, w), 1, 2, 0, 3, 4).reshape(dim, 2 * t, h, w);
    }

    /**
     * downsample3d's {@code time_conv} (stride 2). First chunk: keep the frames, no temporal step.
     * Later: prepend the previous chunk's last frame, convolve, keep this chunk's last frame.
     * y [C, T, H, W] → [C, (T − 2)/2 + 1 + ..., H, W] (T = 4 → 2, T = 2 → 1).
     */
    private Tensor downsampleTime(Backend b, Tensor y, FeatureCache cache) {
        int t = y.dim(1);
        Tensor last = b.slice(y, 1, t - 1, t);
        if (cache.isEmpty(slot)) {
            cache.putFrames(slot, last);
            return y;
        }
        Tensor previous = cache.frames(slot);
        Tensor out = timeConv.forward(b, b.concat(1, previous, y), (Tensor) null);
        cache.putFrames(slot, last);
        return out;
    }
}
