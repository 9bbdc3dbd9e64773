package chameleon.runtime.io;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Flattens any decoded {@link BufferedImage} to an opaque 8-bit {@link RgbImage}, as PIL's
 * {@code Image.convert("RGB")} does in the reference, with one deliberate difference: transparency is
 * composited on white (PIL just drops the alpha, which exposes whatever colour hides under transparent
 * pixels, usually black; a garment cut-out on white is what the model was trained on).
 *
 * <p>Samples are taken as stored, never colour-managed: grayscale is replicated to R = G = B (Java's
 * {@code getRGB} would push linear-gray through a gamma curve and brighten it; PIL replicates), and an
 * embedded ICC profile is ignored, as PIL ignores it. 16-bit samples keep their high byte (PIL's
 * {@code RGB;16B}); samples under 8 bits (BMP 5-6-5, 1/2/4-bit gray) are scaled to 0..255 and rounded.
 * PIL would clip a 16-bit grayscale PNG instead of scaling it, which turns it white; we don't copy that.
 *
 * <p>CMYK (what the JDK's JPEG reader makes of CMYK and YCCK JPEGs, Adobe inversion already undone) is
 * converted with PIL's own naive formula, {@code R = (255 − K) − C·(255 − K)/255}, ignoring any ICC
 * profile, so that a CMYK photo gives the same pixels as in the reference.
 */
public final class RgbConverter {
    private RgbConverter() {
    }

    /**
     * The opaque RGB form of {@code image}.
     *
     * @param source names the image in error messages (a path or a caller-given name)
     * @throws ImageInputException for colour spaces other than RGB, grayscale and CMYK (Lab, YCbCr…)
     *     and for floating-point samples
     */
    public static RgbImage convert(BufferedImage image, String source) {
        int width = image.getWidth();
        int height = image.getHeight();
        if (width <= 0 || height <= 0) {
            throw new ImageInputException(source, "has zero size (" + width + "x" + height
                    + "); expected at least 1x1 pixels");
        }
        ColorModel cm = image.getColorModel();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        if (cm instanceof IndexColorModel palette) {
            fromPalette(image.getRaster(), palette, out);
        } else {
            fromComponents(image.getRaster(), cm, source, out);
        }
        return RgbImage.wrap(width, height, out);
    }

    /** Palette images (PNG "P", GIF, BMP ≤ 8 bit): entries are 8-bit sRGB with an optional alpha. */
    private static void fromPalette(Raster raster, IndexColorModel palette, byte[] out) {
        int width = raster.getWidth();
        int[] index = new int[width];
        int o = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getSamples(0, y, width, 1, 0, index);
            for (int x = 0; x < width; x++) {
                int argb = palette.getRGB(index[x]);
                int alpha = argb >>> 24;
                out[o++] = (byte) onWhite(argb >> 16 & 0xff, alpha);
                out[o++] = (byte) onWhite(argb >> 8 & 0xff, alpha);
                out[o++] = (byte) onWhite(argb & 0xff, alpha);
            }
        }
    }

    /** Component or packed images: 1 gray, 3 RGB or 4 CMYK colour bands, then an optional alpha band. */
    private static void fromComponents(Raster raster, ColorModel cm, String source, byte[] out) {
        ColorSpace cs = cm.getColorSpace();
        int colours = cm.getNumColorComponents();
        boolean gray = cs.getType() == ColorSpace.TYPE_GRAY && colours == 1;
        boolean rgb = cs.getType() == ColorSpace.TYPE_RGB && colours == 3;
        boolean cmyk = cs.getType() == ColorSpace.TYPE_CMYK && colours == 4 && !cm.hasAlpha();
        if (!gray && !rgb && !cmyk) {
            throw new ImageInputException(source, "has an unsupported colour space (" + colourSpaceName(cs) + ", "
                    + colours + " components); expected RGB, grayscale or CMYK");
        }
        int transfer = cm.getTransferType();
        if (transfer != DataBuffer.TYPE_BYTE && transfer != DataBuffer.TYPE_USHORT && transfer != DataBuffer.TYPE_INT) {
            throw new ImageInputException(source, "has floating-point or signed samples; expected 1 to 16-bit integers");
        }
        int bands = cm.getNumComponents();
        boolean alpha = cm.hasAlpha();
        boolean premultiplied = alpha && cm.isAlphaPremultiplied();
        int[] bits = cm.getComponentSize();
        int width = raster.getWidth();
        int[] row = new int[width * bands];
        int o = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0, i = 0; x < width; x++, i += bands) {
                if (cmyk) {
                    int notBlack = 255 - to8(row[i + 3], bits[3]);
                    for (int c = 0; c < 3; c++) {
                        out[o++] = (byte) Math.clamp(notBlack - mulDiv255(to8(row[i + c], bits[c]), notBlack), 0, 255);
                    }
                    continue;
                }
                int a = alpha ? to8(row[i + colours], bits[colours]) : 255;
                for (int c = 0; c < 3; c++) {
                    int band = gray ? 0 : c;
                    int v = to8(row[i + band], bits[band]);
                    // premultiplied: v already is colour·alpha, so only the white share is added
                    out[o++] = (byte) (premultiplied ? Math.min(255, v + 255 - a) : onWhite(v, a));
                }
            }
        }
    }

    /** An unsigned sample of {@code bits} bits as 0..255: high byte above 8 bits, rounded scaling below. */
    private static int to8(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        int max = (1 << bits) - 1;
        return (v * 255 + max / 2) / max;
    }

    /** PIL's MULDIV255: {@code a·b/255} rounded, with shifts. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /** Colour {@code c} with opacity {@code a} (both 0..255) over white, rounded. */
    private static int onWhite(int c, int a) {
        return (c * a + 255 * (255 - a) + 127) / 255;
    }

    private static String colourSpaceName(ColorSpace cs) {
        return switch (cs.getType()) {
            case ColorSpace.TYPE_CMYK -> "CMYK";
            case ColorSpace.TYPE_CMY -> "CMY";
            case ColorSpace.TYPE_YCbCr -> "YCbCr";
            case ColorSpace.TYPE_Lab -> "Lab";
            case ColorSpace.TYPE_HSV -> "HSV";
            case ColorSpace.TYPE_GRAY -> "gray";
            case ColorSpace.TYPE_RGB -> "RGB";
            default -> "colour space type " + cs.getType();
        };
    }
}
