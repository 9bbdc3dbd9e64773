package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class DemoImagesTest {
    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    @Test
    void sameSizeGivesSamePixels() {
        assertArrayEquals(pixels(DemoImages.person(176, 320)), pixels(DemoImages.person(176, 320)));
        for (DemoImages.Garment g : DemoImages.Garment.values()) {
            assertArrayEquals(pixels(DemoImages.garment(g, 200, 240)), pixels(DemoImages.garment(g, 200, 240)));
        }
    }

    @Test
    void garmentsAreDistinctAndLieOnWhite() {
        DemoImages.Garment[] all = DemoImages.Garment.values();
        assertTrue(all.length >= 3);
        for (int i = 0; i < all.length; i++) {
            RgbImage a = RgbConverter.convert(DemoImages.garment(all[i], 200, 240), all[i].name());
            assertEquals(0xFFFFFF, a.rgb(0, 0), all[i] + " corner");
            assertEquals(0xFFFFFF, a.rgb(199, 239), all[i] + " corner");
            for (int j = i + 1; j < all.length; j++) {
                RgbImage b = RgbConverter.convert(DemoImages.garment(all[j], 200, 240), all[j].name());
                assertTrue(meanAbsDifference(a, b) > 20, all[i] + " vs " + all[j]);
            }
        }
    }

    @Test
    void personHasAFaceOnABackdrop() {
        RgbImage person = RgbConverter.convert(DemoImages.person(176, 320), "person");
        int face = person.rgb(88, 35); // 50 % across, 11 % down
        assertTrue((face >> 16 & 0xff) > 180 && (face >> 16 & 0xff) > (face & 0xff) + 40, Integer.toHexString(face));
        int backdrop = person.rgb(5, 5);
        assertTrue((backdrop & 0xff) > (backdrop >> 16 & 0xff), "bluish backdrop " + Integer.toHexString(backdrop));
    }

    @Test
    void feedsTheConditioningPipeline() {
        FrameSize size = new FrameSize(176, 320);
        ConditioningImage reference = ConditioningImage.reference(
                RgbConverter.convert(DemoImages.person(400, 700), "person"), size);
        ConditioningImage garment = ConditioningImage.garment(
                RgbConverter.convert(DemoImages.garment(DemoImages.Garment.RED_TSHIRT, 300, 300), "shirt"), size);
        assertEquals(size, reference.size());
        assertEquals(size, garment.size());
        assertEquals(0xFFFFFF, garment.image().rgb(0, 0)); // padded on white above the square shirt image
    }

    @Test
    void rejectsEmptySizes() {
        assertThrows(IllegalArgumentException.class, () -> DemoImages.person(0, 10));
    }

    @Test
    void writesPreviewsWhenAsked() throws Exception {
        String dir = System.getProperty("chameleon.demoImages.out");
        if (dir == null) {
            return; // only for looking at them: -Dchameleon.demoImages.out=/some/dir
        }
        Path out = Files.createDirectories(Path.of(dir));
        ImageIO.write(DemoImages.person(352, 640), "png", out.resolve("person.png").toFile());
        for (DemoImages.Garment g : DemoImages.Garment.values()) {
            ImageIO.write(DemoImages.garment(g, 352, 400), "png", out.resolve(g.name().toLowerCase() + ".png").toFile());
        }
    }

    private static double meanAbsDifference(RgbImage a, RgbImage b) {
        byte[] x = a.toByteArray();
        byte[] y = b.toByteArray();
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += Math.abs((x[i] & 0xff) - (y[i] & 0xff));
        }
        return (double) sum / x.length;
    }
}
