package chameleon.tornado.plan;

/**
 * How a VAE convolution walks the input plane (H, W); time is always causal (MODEL.md §3.2).
 */
enum ConvSampling {
    /** Stride 1, zero padding k/2 on each side: a CausalConv3d, or a 1×1. */
    SAME,
    /** The Resample's upsample2d: nearest ×2, then stride 1 with padding k/2 ({@code resample.1}). */
    UPSAMPLED,
    /** The Resample's downsample2d/3d: {@code ZeroPad2d((0, 1, 0, 1))}, then stride 2, no other padding. */
    DOWNSAMPLED;

    /** Spatial stride. */
    int stride() {
        return this == DOWNSAMPLED ? 2 : 1;
    }

    /** Whether the input is read through a nearest ×2 upsampling. */
    boolean up() {
        return this == UPSAMPLED;
    }

    /** Zero rows (columns) before the input for a kernel of k rows (columns). */
    int padBefore(int k) {
        return this == DOWNSAMPLED ? 0 : k / 2;
    }

    /** Output rows (columns) of an input of n rows (columns) and a kernel of k. */
    int outSize(int n, int k) {
        return switch (this) {
            case SAME -> n + 2 * (k / 2) - k + 1;
            case UPSAMPLED -> 2 * n + 2 * (k / 2) - k + 1;
            case DOWNSAMPLED -> (n + 1 - k) / 2 + 1;
        };
    }
}
