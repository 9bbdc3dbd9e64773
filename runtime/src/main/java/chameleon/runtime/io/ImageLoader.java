package chameleon.runtime.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads a person or garment photo through {@code javax.imageio}: PNG, JPEG, BMP, GIF (first frame) and
 * WebP where an ImageIO WebP plugin is on the class path. The result is an opaque 8-bit
 * {@link RgbImage} (see {@link RgbConverter} for grayscale, alpha and 16-bit handling).
 *
 * <p>The size is read from the header and checked before any pixel is decoded, so a small file that
 * claims a gigapixel cannot make us allocate gigabytes. Every image of at least 1×1 pixels and at most
 * {@link #MAX_PIXELS} pixels is accepted; tiny ones are simply upscaled later (blurry, but well defined,
 * as in PIL). EXIF orientation is not applied, matching PIL's {@code Image.open} in the reference.
 *
 * <p>CMYK and YCCK JPEGs: the JDK's reader (checked on 17 and 25) decodes them to CMYK, which
 * {@link RgbConverter} turns into RGB with PIL's formula, as the reference would. Should a JPEG still be
 * one ImageIO answers with "Unsupported Image Type", it is refused with a message saying so.
 *
 * <p>Every failure is an {@link ImageInputException} whose message names the file and what was
 * expected.
 */
public final class ImageLoader {
    /** The largest accepted image: 100 megapixels (a 4-byte-per-pixel decode of it is already 400 MB). */
    public static final long MAX_PIXELS = 100_000_000L;

    private ImageLoader() {
    }

    /** Reads the image file {@code file}. */
    public static RgbImage read(Path file) {
        String source = file.toString();
        if (Files.isDirectory(file)) {
            throw new ImageInputException(source, "is a directory; expected " + expectedFormats());
        }
        if (!Files.exists(file)) {
            throw new ImageInputException(source, "no such file; expected " + expectedFormats());
        }
        if (!Files.isReadable(file)) {
            throw new ImageInputException(source, "is not readable (permission denied)");
        }
        try {
            if (Files.size(file) == 0) {
                throw new ImageInputException(source, "is empty (0 bytes); expected " + expectedFormats());
            }
            try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
                return decode(in, source);
            }
        } catch (IOException e) {
            throw new ImageInputException(source, "cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * Reads an image held in memory (an upload, a resource).
     *
     * @param name names the image in error messages
     */
    public static RgbImage read(byte[] bytes, String name) {
        if (bytes.length == 0) {
            throw new ImageInputException(name, "is empty (0 bytes); expected " + expectedFormats());
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            return decode(in, name);
        } catch (IOException e) {
            throw new ImageInputException(name, "cannot be read: " + e.getMessage(), e);
        }
    }

    private static RgbImage decode(ImageInputStream in, String source) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new ImageInputException(source, "is not a recognised image; expected " + expectedFormats());
        }
        ImageReader reader = readers.next();
        String format = reader.getFormatName().toUpperCase(Locale.ROOT);
        try {
            reader.setInput(in, true, true);
            int width;
            int height;
            try {
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                throw new ImageInputException(source, "has a damaged " + format + " header (" + e.getMessage()
                        + "); expected a valid " + format + " image", e);
            }
            if (width <= 0 || height <= 0) {
                throw new ImageInputException(source, "has zero size (" + width + "x" + height
                        + "); expected at least 1x1 pixels");
            }
            long pixels = (long) width * height;
            if (pixels > MAX_PIXELS) {
                throw new ImageInputException(source, "is " + width + "x" + height + " = "
                        + String.format(Locale.ROOT, "%.1f", pixels / 1e6) + " megapixels, more than the limit of "
                        + MAX_PIXELS / 1_000_000 + "; downscale it first");
            }
            BufferedImage image;
            try {
                image = reader.read(0);
            } catch (IIOException e) {
                if (format.equals("JPEG") && String.valueOf(e.getMessage()).contains("Unsupported Image Type")) {
                    throw new ImageInputException(source, "is a CMYK or YCCK JPEG, which is not supported; "
                            + "expected an RGB or grayscale JPEG (re-save it as sRGB)", e);
                }
                throw new ImageInputException(source, "cannot be decoded as " + format + " (" + e.getMessage() + ")", e);
            } catch (RuntimeException e) {
                // ImageIO's decoders answer some damaged streams with unchecked exceptions.
                throw new ImageInputException(source, "cannot be decoded as " + format + " (" + e + ")", e);
            }
            return RgbConverter.convert(image, source);
        } finally {
            reader.dispose();
        }
    }

    /** "a PNG, JPEG, BMP or GIF image", with WebP when a plugin for it is installed. */
    private static String expectedFormats() {
        boolean webp = ImageIO.getImageReadersByFormatName("webp").hasNext();
        return webp ? "a PNG, JPEG, BMP, GIF or WebP image" : "a PNG, JPEG, BMP or GIF image";
    }
}
