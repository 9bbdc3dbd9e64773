package chameleon.runtime.io;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/**
 * An opaque 8-bit RGB raster: what PIL calls an {@code "RGB"} image and the only form the conditioning
 * pipeline works on. Immutable; the samples are interleaved {@code R, G, B} per pixel, row-major:
 * sample {@code (x, y, c)} lives at {@code (y * width + x) * 3 + c}.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final byte[] rgb; // [height][width][3], unsigned

    private RgbImage(int width, int height, byte[] rgb) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException(width + "x" + height + " RGB image needs " + (long) width * height * 3
                    + " samples, got " + rgb.length);
        }
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /** An image over a copy of {@code interleavedRgb} ({@code width * height * 3} unsigned bytes). */
    public static RgbImage of(int width, int height, byte[] interleavedRgb) {
        return new RgbImage(width, height, interleavedRgb.clone());
    }

    /** An image of one colour ({@code 0xRRGGBB}). */
    public static RgbImage filled(int width, int height, int rgb) {
        byte[] data = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        for (int i = 0; i < data.length; i += 3) {
            data[i] = (byte) (rgb >>> 16);
            data[i + 1] = (byte) (rgb >>> 8);
            data[i + 2] = (byte) rgb;
        }
        return new RgbImage(width, height, data);
    }

    /** Takes ownership of {@code data} without copying: for the classes of this package that just made it. */
    static RgbImage wrap(int width, int height, byte[] data) {
        return new RgbImage(width, height, data);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Sample {@code c} (0 = R, 1 = G, 2 = B) of pixel {@code (x, y)}, 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }

    /** Pixel {@code (x, y)} as {@code 0xRRGGBB}. */
    public int rgb(int x, int y) {
        int i = (y * width + x) * 3;
        return (rgb[i] & 0xff) << 16 | (rgb[i + 1] & 0xff) << 8 | rgb[i + 2] & 0xff;
    }

    /** A copy of the interleaved samples. */
    public byte[] toByteArray() {
        return rgb.clone();
    }

    /** The samples themselves, not copied: for the classes of this package, which never write to them. */
    byte[] data() {
        return rgb;
    }

    /** The pixels {@code [x0, x0 + w) × [y0, y0 + h)} as a new image. */
    public RgbImage crop(int x0, int y0, int w, int h) {
        if (x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + w > width || y0 + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + "+" + x0 + "+" + y0 + " outside "
                    + width + "x" + height);
        }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(rgb, ((y0 + y) * width + x0) * 3, out, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    /** A {@link BufferedImage#TYPE_INT_RGB} copy, for display and for writing with ImageIO. */
    public BufferedImage toBufferedImage() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                row[x] = rgb(x, y);
            }
            image.setRGB(0, y, width, 1, row, 0, width);
        }
        return image;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && width == other.width && height == other.height
                && Arrays.equals(rgb, other.rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
