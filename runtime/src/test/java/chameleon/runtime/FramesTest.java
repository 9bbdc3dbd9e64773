package chameleon.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FramesTest {
    @TempDir
    Path dir;

    /** [3, 2, 2, 3]: frame f, channel c, pixel p holds a value chosen per test. */
    private static Tensor pixels(float... values) {
        return Tensor.of(values, 3, 2, 2, 3);
    }

    @Test
    void clampsMapsAndRounds() {
        float[] v = new float[3 * 2 * 2 * 3];
        // channel 0, frame 0, pixels 0..5
        v[0] = -1f; // 0
        v[1] = 1f; // 255
        v[2] = 0f; // 127.5 -> 128
        v[3] = -7f; // clamped -> 0
        v[4] = 3f; // clamped -> 255
        v[5] = -0.5f; // 63.75 -> 64
        // channel 1, frame 1, pixel 0: index 1 * (2 * 6) + 1 * 6 + 0
        v[18] = 0.2f; // 0.6 * 255 = 153
        Frames frames = Frames.fromPixels(pixels(v));
        assertEquals(2, frames.count());
        assertEquals(3, frames.width());
        assertEquals(2, frames.height());
        int[] f0 = frames.rgb(0);
        assertEquals(0x00 << 16 | 128 << 8 | 128, f0[0]); // R 0, G and B of 0.0 -> 128
        assertEquals(255 << 16 | 128 << 8 | 128, f0[1]);
        assertEquals(128, frames.sample(0, 2, 0, 0));
        assertEquals(0, frames.sample(0, 0, 1, 0));
        assertEquals(255, frames.sample(0, 1, 1, 0));
        assertEquals(64, frames.sample(0, 2, 1, 0));
        assertEquals(153, frames.sample(1, 0, 0, 1));
        BufferedImage image = frames.image(1);
        assertEquals(3, image.getWidth());
        assertEquals(frames.rgb(1)[0], image.getRGB(0, 0) & 0xFFFFFF);
    }

    @Test
    void rejectsWrongShapesAndNaN() {
        assertThrows(IllegalArgumentException.class, () -> Frames.fromPixels(Tensor.zeros(4, 1, 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> Frames.fromPixels(Tensor.zeros(3, 2, 2)));
        float[] v = new float[3 * 2 * 2 * 3];
        v[2 * 2 * 3 + 0 * 2 * 3 + 1 * 3 + 1] = Float.NaN; // channel 1, frame 0, y 1, x 1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Frames.fromPixels(pixels(v)));
        assertEquals("pixels hold NaN at frame 0, channel 1, y 1, x 1", e.getMessage());
    }

    @Test
    void writesNumberedPngsAtomically() throws IOException {
        float[] v = new float[3 * 2 * 2 * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 7) / 3f - 1f;
        }
        Frames frames = Frames.fromPixels(pixels(v));
        Path out = dir.resolve("chunks");
        Files.createDirectories(out);
        Files.writeString(out.resolve("frame00010.png"), "old"); // replaced by a complete file
        List<Path> written = frames.writePng(out, "frame", 9);
        assertEquals(List.of(out.resolve("frame00009.png"), out.resolve("frame00010.png")), written);
        for (int i = 0; i < 2; i++) {
            BufferedImage read = ImageIO.read(written.get(i).toFile());
            int[] rgb = read.getRGB(0, 0, 3, 2, null, 0, 3);
            for (int p = 0; p < rgb.length; p++) {
                rgb[p] &= 0xFFFFFF;
            }
            assertArrayEquals(frames.rgb(i), rgb);
        }
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
        assertThrows(IllegalArgumentException.class, () -> frames.writePng(out, "../escape", 0));
    }

    @Test
    void ofImagesRoundTrips() {
        float[] v = new float[3 * 2 * 2 * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 5) / 2f - 1f;
        }
        Frames frames = Frames.fromPixels(pixels(v));
        Frames copy = Frames.ofImages(List.of(frames.image(0), frames.image(1)));
        assertArrayEquals(frames.rgb(0), copy.rgb(0));
        assertArrayEquals(frames.rgb(1), copy.rgb(1));
        assertTrue(copy.toString().contains("2 x 3x2"));
    }
}
