package chameleon.runtime.io;

/**
 * The pixel size of the generated video and of the two conditioning images. Both sides must be
 * multiples of 16: the VAE downsamples by 16 spatially (and the DiT patchifies the 1/16 latent by 2,
 * which the model config checks separately).
 */
public record FrameSize(int width, int height) {
    /** The reference resolution: 704 × 1280 portrait (MODEL.md §1.3), latent 44 × 80. */
    public static final FrameSize DEFAULT = new FrameSize(704, 1280);

    public FrameSize {
        if (width <= 0 || height <= 0 || width % 16 != 0 || height % 16 != 0) {
            throw new IllegalArgumentException("frame size must be positive multiples of 16 (the VAE's spatial "
                    + "stride), got width " + width + " x height " + height);
        }
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
