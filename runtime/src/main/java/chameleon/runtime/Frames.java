package chameleon.runtime;

import chameleon.runtime.io.OutputFile;
import chameleon.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A run of decoded video frames in 8-bit RGB: what one chunk of a session streams out (9 frames for the
 * first chunk, 12 after it, at 24 fps), ready to show, save as PNG or append to a video.
 *
 * <p>Immutable. Made from the VAE decoder's pixels by {@link #fromPixels}, which does what the
 * reference does after decoding: clamp to [−1, 1], map to [0, 1] with {@code x·0.5 + 0.5}, then to 8
 * bits. We round to the nearest level; the reference's {@code export_to_video} truncates
 * ({@code (x * 255).astype(uint8)}), so its frames are on average half a level darker.
 */
public final class Frames {
    private final int width;
    private final int height;
    private final byte[][] frames; // [F][H][W][3] interleaved RGB, unsigned

    private Frames(int width, int height, byte[][] frames) {
        this.width = width;
        this.height = height;
        this.frames = frames;
    }

    /**
     * Frames from decoded pixels.
     *
     * @param pixels {@code [3, F, H, W]}, channel-first, nominally in [−1, 1] (values outside are clamped)
     * @throws IllegalArgumentException for another shape, no frames, or a NaN sample (a broken decode
     *     must not pass as a black pixel)
     */
    public static Frames fromPixels(Tensor pixels) {
        if (pixels.shape().rank() != 4 || pixels.dim(0) != 3) {
            throw new IllegalArgumentException("pixels must be [3, F, H, W], got " + pixels.shape());
        }
        int count = pixels.dim(1);
        int height = pixels.dim(2);
        int width = pixels.dim(3);
        if (count < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("pixels " + pixels.shape() + " hold no frame");
        }
        Tensor f32 = pixels.toF32();
        float[] x = f32.array();
        int base = f32.arrayOffset();
        int plane = width * height;
        long channelStride = (long) count * plane; // elements between channel c and c + 1
        byte[][] frames = new byte[count][plane * 3];
        for (int f = 0; f < count; f++) {
            byte[] out = frames[f];
            for (int c = 0; c < 3; c++) {
                int from = (int) (base + c * channelStride + (long) f * plane);
                for (int p = 0; p < plane; p++) {
                    float v = x[from + p];
                    if (Float.isNaN(v)) {
                        throw new IllegalArgumentException("pixels hold NaN at frame " + f + ", channel " + c
                                + ", y " + p / width + ", x " + p % width);
                    }
                    float unit = Math.clamp(v, -1f, 1f) * 0.5f + 0.5f;
                    out[p * 3 + c] = (byte) Math.round(unit * 255f);
                }
            }
        }
        return new Frames(width, height, frames);
    }

    /** Frames copied from images of one size (any type; read through {@code getRGB}, so as sRGB). */
    public static Frames ofImages(List<BufferedImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images");
        }
        int width = images.getFirst().getWidth();
        int height = images.getFirst().getHeight();
        byte[][] frames = new byte[images.size()][];
        int[] row = new int[width];
        for (int f = 0; f < frames.length; f++) {
            BufferedImage image = images.get(f);
            if (image.getWidth() != width || image.getHeight() != height) {
                throw new IllegalArgumentException("image " + f + " is " + image.getWidth() + "x" + image.getHeight()
                        + ", image 0 is " + width + "x" + height);
            }
            byte[] out = new byte[width * height * 3];
            for (int y = 0; y < height; y++) {
                image.getRGB(0, y, width, 1, row, 0, width);
                for (int xx = 0; xx < width; xx++) {
                    int o = (y * width + xx) * 3;
                    out[o] = (byte) (row[xx] >> 16);
                    out[o + 1] = (byte) (row[xx] >> 8);
                    out[o + 2] = (byte) row[xx];
                }
            }
            frames[f] = out;
        }
        return new Frames(width, height, frames);
    }

    /** Number of frames. */
    public int count() {
        return frames.length;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Sample {@code c} (0 = R, 1 = G, 2 = B) of pixel {@code (x, y)} of frame {@code i}, 0..255. */
    public int sample(int i, int x, int y, int c) {
        return frames[i][(y * width + x) * 3 + c] & 0xff;
    }

    /** Frame {@code i} as {@code 0xRRGGBB} pixels, row-major ({@code width * height}; a new array). */
    public int[] rgb(int i) {
        byte[] frame = frames[i];
        int[] out = new int[width * height];
        for (int p = 0; p < out.length; p++) {
            out[p] = (frame[p * 3] & 0xff) << 16 | (frame[p * 3 + 1] & 0xff) << 8 | frame[p * 3 + 2] & 0xff;
        }
        return out;
    }

    /** Frame {@code i} as a new {@link BufferedImage#TYPE_INT_RGB} image. */
    public BufferedImage image(int i) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, width, height, rgb(i), 0, width);
        return image;
    }

    /**
     * Writes every frame to {@code dir} (created if missing) as {@code prefix + NNNNN + ".png"}, numbered
     * from {@code firstIndex} (so successive chunks continue one sequence). Each file is written to a
     * temporary name and renamed into place: a reader never sees half a PNG, and an existing file of the
     * same name is replaced only by a complete one.
     *
     * @return the files written, in frame order
     * @throws UncheckedIOException when a file cannot be written (the temporary file is removed)
     */
    public List<Path> writePng(Path dir, String prefix, int firstIndex) {
        if (firstIndex < 0) {
            throw new IllegalArgumentException("firstIndex must be >= 0, got " + firstIndex);
        }
        if (prefix.contains("/") || prefix.contains(java.io.File.separator)) {
            throw new IllegalArgumentException("prefix must be a file name prefix, not a path: " + prefix);
        }
        List<Path> written = new ArrayList<>(count());
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < count(); i++) {
                Path target = dir.resolve(String.format("%s%05d.png", prefix, firstIndex + i));
                Path temp = OutputFile.temporarySibling(target, ".tmp");
                try {
                    if (!ImageIO.write(image(i), "png", temp.toFile())) {
                        throw new IOException("no PNG writer in this JRE");
                    }
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(temp);
                }
                written.add(target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write PNG frames to " + dir + ": " + e.getMessage(), e);
        }
        return written;
    }

    @Override
    public String toString() {
        return "Frames[" + count() + " x " + width + "x" + height + "]";
    }

}
