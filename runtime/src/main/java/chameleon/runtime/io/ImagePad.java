package chameleon.runtime.io;

/**
 * PIL's {@code ImageOps.pad(image, (width, height), filter, color=background, centering=(0.5, 0.5))}:
 * scale preserving the aspect ratio until the image fits inside {@code width × height}
 * ({@code ImageOps.contain}), then centre it on a {@code background} canvas. The garment photo is
 * prepared this way, on white.
 *
 * @param background the canvas colour, {@code 0xRRGGBB}
 */
public record ImagePad(int width, int height, ResampleFilter filter, int background) {
    /** The white that the reference pads garments with. */
    public static final int WHITE = 0xFFFFFF;

    public ImagePad {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("pad size must be positive, got " + width + "x" + height);
        }
    }

    /** The padded image, {@code width × height}. */
    public RgbImage apply(RgbImage image) {
        int[] size = containedSize(image.width(), image.height());
        RgbImage resized = PilResampler.resize(image, size[0], size[1], filter);
        if (size[0] == width && size[1] == height) {
            return resized;
        }
        // Python's round() is half-to-even, as is Math.rint.
        int x0 = size[0] != width ? (int) Math.rint((width - size[0]) * 0.5) : 0;
        int y0 = size[0] != width ? 0 : (int) Math.rint((height - size[1]) * 0.5);
        byte[] canvas = RgbImage.filled(width, height, background).toByteArray();
        byte[] src = resized.data();
        for (int y = 0; y < size[1]; y++) {
            System.arraycopy(src, y * size[0] * 3, canvas, ((y0 + y) * width + x0) * 3, size[0] * 3);
        }
        return RgbImage.wrap(width, height, canvas);
    }

    /**
     * {@code ImageOps.contain}'s size for a {@code srcWidth × srcHeight} image: {@code {w, h}}, one of them
     * equal to the target's. Never below 1 pixel (PIL would fail on a 0-pixel side of a very thin image).
     */
    public int[] containedSize(int srcWidth, int srcHeight) {
        double imageRatio = (double) srcWidth / srcHeight;
        double targetRatio = (double) width / height;
        int w = width;
        int h = height;
        if (imageRatio > targetRatio) {
            h = Math.max(1, (int) Math.rint((double) srcHeight / srcWidth * width));
        } else if (imageRatio < targetRatio) {
            w = Math.max(1, (int) Math.rint((double) srcWidth / srcHeight * height));
        }
        return new int[] {w, h};
    }
}
