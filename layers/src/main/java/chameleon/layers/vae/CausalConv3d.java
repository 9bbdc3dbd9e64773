package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * The VAE's {@code CausalConv3d}: a Conv3d whose time axis is padded only in front
 * ({@code 2·padding[0]} frames), so output frame t sees input frames ≤ t. Weights {@code <prefix>weight}
 * [Cout, Cin, kt, kh, kw] and {@code <prefix>bias} [Cout].
 *
 * <p>When the video arrives in chunks, the front padding is replaced by the last input frames of the
 * previous chunk (MODEL.md §3.4): a cached convolution owns a {@link FeatureCache} slot that holds the
 * last {@link FeatureCache#CACHE_T} frames it was given.
 */
final class CausalConv3d {
    private final Tensor weight; // [Cout, Cin, kt, kh, kw]
    private final Tensor bias;   // [Cout]
    private final int frontPad;  // zero frames in front: 2·padding[0]
    private final int padH;
    private final int padW;
    private final int strideT;
    private final int slot;      // FeatureCache slot, or -1 for a convolution that is never cached

    /**
     * @param w        this module's weights ({@code weight}, {@code bias})
     * @param cIn      input channels; {@code cOut} output channels
     * @param kernel   {kt, kh, kw}
     * @param padding  the module's {padT, padH, padW}; time gets 2·padT frames in front, none behind
     * @param strideT  temporal stride (spatial stride is 1 for every CausalConv3d of the VAE)
     * @param slots    numbering for a cached convolution, or null
     */
    CausalConv3d(ModuleWeights w, int cIn, int cOut, int[] kernel, int[] padding, int strideT,
                 FeatureCache.Numbering slots) {
        this.weight = w.tensor("weight", cOut, cIn, kernel[0], kernel[1], kernel[2]);
        this.bias = w.tensor("bias", cOut);
        this.frontPad = 2 * padding[0];
        this.padH = padding[1];
        this.padW = padding[2];
        this.strideT = strideT;
        this.slot = slots == null ? -1 : slots.next();
    }

    /** A k×k×k convolution with "same" padding (k = 3: pad 1, causal in time; k = 1: no padding). */
    static CausalConv3d cube(ModuleWeights w, int cIn, int cOut, int k, FeatureCache.Numbering slots) {
        int p = k / 2;
        return new CausalConv3d(w, cIn, cOut, new int[] {k, k, k}, new int[] {p, p, p}, 1, slots);
    }

    int outChannels() {
        return weight.dim(0);
    }

    /**
     * x [Cin, T, H, W] → [Cout, T', H, W], with the {@code previous} frames ([Cin, n, H, W], n ≤ the front
     * padding; null for none) standing in for the last n zero frames of the causal padding.
     */
    Tensor forward(Backend b, Tensor x, Tensor previous) {
        int n = previous == null ? 0 : previous.dim(1);
        if (n > frontPad) {
            throw new IllegalArgumentException("CausalConv3d: " + n + " cached frames for a front padding of " + frontPad);
        }
        Tensor input = x;
        if (frontPad > 0) {
            Tensor zeros = Tensor.zeros(x.dim(0), frontPad - n, x.dim(2), x.dim(3));
            input = previous == null ? b.concat(1, zeros, x) : b.concat(1, zeros, previous, x);
        }
        return b.conv3d(input, weight, bias, strideT, 1, 1, padH, padH, padW, padW);
    }

    /**
     * A call in a chunked stream: this convolution's slot supplies the previous frames and then
     * remembers the new ones ({@link #framesToCache}). Without a cache (or for an uncached
     * convolution) it is the plain zero-padded call.
     */
    Tensor forward(Backend b, Tensor x, FeatureCache cache) {
        if (cache == null || slot < 0) {
            return forward(b, x, (Tensor) null);
        }
        Tensor previous = cache.frames(slot);
        Tensor keep = framesToCache(b, x, previous);
        Tensor y = forward(b, x, previous);
        cache.putFrames(slot, keep);
        return y;
    }

    /**
     * What a slot keeps after input x [C, T, H, W]: its last 2 frames; when x has a single frame, the last
     * frame of the previous slot content (if any) followed by x (the official "cache last frame of
     * last two chunk").
     */
    static Tensor framesToCache(Backend b, Tensor x, Tensor previous) {
        int t = x.dim(1);
        Tensor last = t > FeatureCache.CACHE_T ? b.slice(x, 1, t - FeatureCache.CACHE_T, t) : x;
        if (last.dim(1) < FeatureCache.CACHE_T && previous != null) {
            int n = previous.dim(1);
            return b.concat(1, b.slice(previous, 1, n - 1, n), last);
        }
        return last == x ? x.copy() : last;
    }
}
