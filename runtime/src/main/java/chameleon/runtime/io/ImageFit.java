package chameleon.runtime.io;

/**
 * PIL's {@code ImageOps.fit(image, (width, height), filter, centering=(0.5, 0.5))}: scale preserving
 * the aspect ratio until the image covers {@code width × height}, cutting the overflow equally from both
 * sides. The reference photo of the person is prepared this way.
 *
 * <p>Like PIL, this crops the <em>source</em> first (a fractional box of the output's aspect ratio,
 * centred) and resamples that box to the output, rather than resizing and then cropping whole pixels.
 */
public record ImageFit(int width, int height, ResampleFilter filter) {
    public ImageFit {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("fit size must be positive, got " + width + "x" + height);
        }
    }

    /** The fitted image, {@code width × height}. */
    public RgbImage apply(RgbImage image) {
        return PilResampler.resize(image, width, height, filter, box(image.width(), image.height()));
    }

    /** The centred source box of the output's aspect ratio, computed in double as PIL does, then narrowed. */
    public PilResampler.Box box(int srcWidth, int srcHeight) {
        double liveWidth = srcWidth;
        double liveHeight = srcHeight;
        double liveRatio = liveWidth / liveHeight;
        double outputRatio = (double) width / height;
        double cropWidth;
        double cropHeight;
        if (liveRatio == outputRatio) {
            cropWidth = liveWidth;
            cropHeight = liveHeight;
        } else if (liveRatio >= outputRatio) {
            cropWidth = outputRatio * liveHeight; // wider than needed: crop the sides
            cropHeight = liveHeight;
        } else {
            cropWidth = liveWidth; // taller than needed: crop top and bottom
            cropHeight = liveWidth / outputRatio;
        }
        double left = (liveWidth - cropWidth) * 0.5;
        double top = (liveHeight - cropHeight) * 0.5;
        return new PilResampler.Box((float) left, (float) top, (float) (left + cropWidth), (float) (top + cropHeight));
    }
}
