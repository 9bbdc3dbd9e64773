package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading images: formats, colour types, and a named error for every kind of bad input. */
class ImageLoaderTest {
    @TempDir
    Path dir;

    @Test
    void readsPngBmpAndGifExactly() throws IOException {
        BufferedImage image = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                image.setRGB(x, y, (x * 50) << 16 | (y * 100) << 8 | 77);
            }
        }
        for (String format : new String[] {"png", "bmp"}) {
            RgbImage read = ImageLoader.read(write(image, format, "rgb." + format));
            assertEquals(5, read.width(), format);
            assertEquals(3, read.height(), format);
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 5; x++) {
                    assertEquals(image.getRGB(x, y) & 0xFFFFFF, read.rgb(x, y), format + " " + x + "," + y);
                }
            }
        }
        // GIF: a palette image. 8x8, since the JDK's GIF reader misplaces pixels of a 4x4 one that Pillow
        // reads correctly.
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        r[0] = (byte) 200;
        g[0] = 20;
        b[0] = 40;
        r[1] = 10;
        g[1] = 30;
        b[1] = (byte) 250;
        IndexColorModel palette = new IndexColorModel(8, 256, r, g, b);
        BufferedImage gif = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED, palette);
        gif.getRaster().setSample(1, 2, 0, 1);
        RgbImage read = ImageLoader.read(write(gif, "gif", "palette.gif"));
        assertEquals(200 << 16 | 20 << 8 | 40, read.rgb(0, 0));
        assertEquals(10 << 16 | 30 << 8 | 250, read.rgb(1, 2));
    }

    @Test
    void readsJpegApproximately() throws IOException {
        BufferedImage image = new BufferedImage(32, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, 0x4080C0);
            }
        }
        RgbImage read = ImageLoader.read(write(image, "jpeg", "flat.jpg"));
        for (int c = 0; c < 3; c++) {
            assertTrue(Math.abs(read.sample(10, 10, c) - (0x40 + c * 0x40)) <= 3, "channel " + c);
        }
    }

    @Test
    void grayscaleIsReplicatedNotGammaConverted() throws IOException {
        // Java's getRGB would treat CS_GRAY as linear and brighten 100 to about 170; PIL replicates.
        BufferedImage gray = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 100);
        gray.getRaster().setSample(2, 1, 0, 255);
        RgbImage read = ImageLoader.read(write(gray, "png", "gray.png"));
        assertEquals(0x646464, read.rgb(0, 0));
        assertEquals(0xFFFFFF, read.rgb(2, 1));
        assertEquals(0x000000, read.rgb(1, 0));
    }

    @Test
    void sixteenBitSamplesKeepTheirHighByte() throws IOException {
        BufferedImage gray16 = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
        gray16.getRaster().setSample(1, 0, 0, 0xABCD);
        RgbImage read = ImageLoader.read(write(gray16, "png", "gray16.png"));
        assertEquals(0xABABAB, read.rgb(1, 0));

        ComponentColorModel rgb16 = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                new int[] {16, 16, 16}, false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = rgb16.createCompatibleWritableRaster(2, 2);
        raster.setPixel(0, 1, new int[] {0x1234, 0xFFFF, 0x80FF});
        RgbImage read16 = ImageLoader.read(write(new BufferedImage(rgb16, raster, false, null), "png", "rgb16.png"));
        assertEquals(0x12FF80, read16.rgb(0, 1));
    }

    @Test
    void alphaIsCompositedOnWhite() throws IOException {
        BufferedImage argb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0xFFFF0000); // opaque red stays red
        argb.setRGB(1, 0, 0x80FF0000); // half-transparent red: G, B = 255 * 127 / 255 = 127
        argb.setRGB(2, 0, 0x00000000); // transparent black becomes white (PIL's convert would keep black)
        RgbImage read = ImageLoader.read(write(argb, "png", "alpha.png"));
        assertEquals(0xFF0000, read.rgb(0, 0));
        assertEquals(0xFF7F7F, read.rgb(1, 0));
        assertEquals(0xFFFFFF, read.rgb(2, 0));

        // gray + alpha PNG
        ComponentColorModel grayAlpha = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY),
                new int[] {8, 8}, true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = grayAlpha.createCompatibleWritableRaster(2, 1);
        raster.setPixel(0, 0, new int[] {0, 255});
        raster.setPixel(1, 0, new int[] {0, 0});
        RgbImage gray = ImageLoader.read(write(new BufferedImage(grayAlpha, raster, false, null), "png", "ga.png"));
        assertEquals(0x000000, gray.rgb(0, 0));
        assertEquals(0xFFFFFF, gray.rgb(1, 0));

        // premultiplied in memory: the same colours as straight alpha
        BufferedImage pre = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB_PRE);
        for (int x = 0; x < 3; x++) {
            pre.setRGB(x, 0, argb.getRGB(x, 0));
        }
        RgbImage fromPre = RgbConverter.convert(pre, "premultiplied");
        for (int x = 0; x < 3; x++) {
            int expected = read.rgb(x, 0);
            for (int c = 0; c < 3; c++) {
                int shift = 16 - 8 * c;
                assertTrue(Math.abs((fromPre.rgb(x, 0) >> shift & 0xff) - (expected >> shift & 0xff)) <= 1,
                        "premultiplied pixel " + x);
            }
        }
    }

    @Test
    void transparentPaletteEntryBecomesWhite() throws IOException {
        byte[] blue = new byte[256];
        blue[1] = (byte) 255;
        IndexColorModel palette = new IndexColorModel(8, 256, new byte[256], new byte[256], blue, 0); // 0 clear
        BufferedImage gif = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED, palette);
        gif.getRaster().setSample(1, 0, 0, 1);
        RgbImage read = ImageLoader.read(write(gif, "gif", "transparent.gif"));
        assertEquals(0xFFFFFF, read.rgb(0, 0));
        assertEquals(0x0000FF, read.rgb(1, 0));
    }

    @Test
    void onePixelImageIsAccepted() throws IOException {
        BufferedImage one = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        one.setRGB(0, 0, 0x11AA33);
        RgbImage read = ImageLoader.read(write(one, "png", "one.png"));
        assertEquals(0x11AA33, read.rgb(0, 0));
        // and it preprocesses to a flat frame of that colour
        assertEquals(RgbImage.filled(16, 32, 0x11AA33),
                ConditioningImage.reference(read, new FrameSize(16, 32)).image());
    }

    @Test
    void readsBytesUnderTheGivenName() throws IOException {
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 1, 0x010203);
        RgbImage read = ImageLoader.read(Files.readAllBytes(write(image, "png", "mem.png")), "upload #7");
        assertEquals(0x010203, read.rgb(1, 1));
        ImageInputException e = assertThrows(ImageInputException.class,
                () -> ImageLoader.read("hello".getBytes(StandardCharsets.US_ASCII), "upload #8"));
        assertEquals("upload #8", e.source());
        assertTrue(e.getMessage().startsWith("upload #8: is not a recognised image"), e.getMessage());
    }

    @Test
    void hugeClaimedSizeIsRefusedBeforeDecoding() throws IOException {
        byte[] png = pngBytes(8, 8);
        for (int[] size : new int[][] {{10_001, 10_000}, {20_000, 20_000}, {1, 200_000_000}}) {
            Path file = dir.resolve("huge-" + size[0] + "x" + size[1] + ".png");
            Files.write(file, withIhdrSize(png, size[0], size[1]));
            long start = System.nanoTime();
            ImageInputException e = assertThrows(ImageInputException.class, () -> ImageLoader.read(file));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().startsWith(file + ": is " + size[0] + "x" + size[1] + " = "), e.getMessage());
            assertTrue(e.getMessage().contains("megapixels, more than the limit of 100"), e.getMessage());
            // Decoding would have allocated gigabytes and then failed on the 8x8 pixel data instead.
            assertTrue(millis < 5_000, "took " + millis + " ms");
        }
    }

    @Test
    void zeroSizeHeaderIsRefused() throws IOException {
        Path file = dir.resolve("zero.png");
        Files.write(file, withIhdrSize(pngBytes(8, 8), 0, 8));
        ImageInputException e = assertThrows(ImageInputException.class, () -> ImageLoader.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("PNG") || e.getMessage().contains("zero size"), e.getMessage());
    }

    @Test
    void textFileNamedPngIsRefusedByName() throws IOException {
        Path file = dir.resolve("notes.png");
        Files.writeString(file, "this is not a picture\n");
        ImageInputException e = assertThrows(ImageInputException.class, () -> ImageLoader.read(file));
        assertEquals(file + ": is not a recognised image; expected a PNG, JPEG, BMP or GIF image", e.getMessage());
        assertEquals(file.toString(), e.source());
    }

    @Test
    void truncatedPngIsRefusedByName() throws IOException {
        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64 * 64; i++) {
            noise.setRGB(i % 64, i / 64, i * 2654435761L > 0 ? (int) (i * 2654435761L) : i);
        }
        byte[] full = Files.readAllBytes(write(noise, "png", "full.png"));
        Path file = dir.resolve("truncated.png");
        Files.write(file, Arrays.copyOf(full, full.length / 2));
        ImageInputException e = assertThrows(ImageInputException.class, () -> ImageLoader.read(file));
        assertTrue(e.getMessage().startsWith(file + ": cannot be decoded as PNG"), e.getMessage());
    }

    @Test
    void emptyMissingAndDirectoryAreRefusedByName() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.jpg"));
        assertTrue(assertThrows(ImageInputException.class, () -> ImageLoader.read(empty)).getMessage()
                .startsWith(empty + ": is empty (0 bytes)"));
        Path missing = dir.resolve("missing.png");
        assertTrue(assertThrows(ImageInputException.class, () -> ImageLoader.read(missing)).getMessage()
                .startsWith(missing + ": no such file"));
        assertTrue(assertThrows(ImageInputException.class, () -> ImageLoader.read(dir)).getMessage()
                .startsWith(dir + ": is a directory"));
        assertThrows(ImageInputException.class, () -> ImageLoader.read(new byte[0], "nothing"));
    }

    @Test
    void cmykJpegIsConvertedAsPilDoes() throws IOException {
        // PIL's cmyk.jpg holds C = 8x, M = 255 - 8x, Y = 16y, K = 5(x + y); PIL's RGB of it is
        // decoded_cmyk.png (compared in PilParityTest). Here: one pixel worked out by hand.
        byte[] jpeg;
        try (InputStream in = getClass().getResourceAsStream("pil/cmyk.jpg")) {
            jpeg = in.readAllBytes();
        }
        Path file = dir.resolve("print.jpg");
        Files.write(file, jpeg);
        RgbImage read = ImageLoader.read(file);
        // x = 0, y = 0: C 0, M 255, Y 0, K 0 -> (255, 0, 255), up to JPEG error
        assertTrue(Math.abs(read.sample(0, 0, 0) - 255) <= 4, "R " + read.sample(0, 0, 0));
        assertTrue(read.sample(0, 0, 1) <= 4, "G " + read.sample(0, 0, 1));
        assertTrue(Math.abs(read.sample(0, 0, 2) - 255) <= 4, "B " + read.sample(0, 0, 2));
    }

    @Test
    void otherColourSpacesAreRefusedByName() {
        ComponentColorModel lab = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_PYCC),
                new int[] {8, 8, 8}, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        BufferedImage image = new BufferedImage(lab, lab.createCompatibleWritableRaster(2, 2), false, null);
        ImageInputException e = assertThrows(ImageInputException.class, () -> RgbConverter.convert(image, "pycc"));
        assertTrue(e.getMessage().startsWith("pycc: has an unsupported colour space"), e.getMessage());
        assertTrue(e.getMessage().endsWith("expected RGB, grayscale or CMYK"), e.getMessage());
    }

    @Test
    void exceptionIsAnIllegalArgumentException() {
        assertTrue(IllegalArgumentException.class.isAssignableFrom(ImageInputException.class));
    }

    private Path write(BufferedImage image, String format, String name) throws IOException {
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(image, format, file.toFile()), "no ImageIO writer for " + format);
        return file;
    }

    private static byte[] pngBytes(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    /** The PNG with its IHDR width and height replaced (and the chunk's CRC fixed). */
    private static byte[] withIhdrSize(byte[] png, int width, int height) {
        byte[] out = png.clone();
        ByteBuffer b = ByteBuffer.wrap(out);
        assertEquals("IHDR", new String(out, 12, 4, StandardCharsets.US_ASCII));
        b.putInt(16, width);
        b.putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(out, 12, 4 + 13); // type + data
        b.putInt(12 + 4 + 13, (int) crc.getValue());
        return out;
    }
}
