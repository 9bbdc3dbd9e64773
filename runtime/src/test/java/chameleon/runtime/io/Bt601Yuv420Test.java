package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chameleon.runtime.Frames;
import java.awt.image.BufferedImage;
import java.util.List;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.junit.jupiter.api.Test;

/** Reference values of BT.601 studio-range Y'CbCr (ITU-R BT.601, 8 bit). */
class Bt601Yuv420Test {
    private static int[] yuvOf(int rgb) {
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int p = 0; p < 4; p++) {
            image.setRGB(p % 2, p / 2, rgb);
        }
        Picture out = Picture.create(2, 2, ColorSpace.YUV420J);
        Bt601Yuv420.convert(Frames.ofImages(List.of(image)), 0, out);
        return new int[] {out.getPlaneData(0)[3] + 128, out.getPlaneData(1)[0] + 128, out.getPlaneData(2)[0] + 128};
    }

    @Test
    void primariesAndGreys() {
        assertEquals(List.of(16, 128, 128), List.of(box(yuvOf(0x000000))));
        assertEquals(List.of(235, 128, 128), List.of(box(yuvOf(0xFFFFFF))));
        assertEquals(List.of(126, 128, 128), List.of(box(yuvOf(0x808080)))); // 16 + 219 · 128/255 = 125.9
        assertEquals(List.of(81, 90, 240), List.of(box(yuvOf(0xFF0000))));
        assertEquals(List.of(145, 54, 34), List.of(box(yuvOf(0x00FF00))));
        assertEquals(List.of(41, 240, 110), List.of(box(yuvOf(0x0000FF))));
    }

    @Test
    void chromaIsTheAverageOfEachTwoByTwoBlock() {
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0xFF0000);
        image.setRGB(1, 0, 0xFF0000);
        image.setRGB(0, 1, 0x000000);
        image.setRGB(1, 1, 0x000000);
        Picture out = Picture.create(2, 2, ColorSpace.YUV420J);
        Bt601Yuv420.convert(Frames.ofImages(List.of(image)), 0, out);
        assertEquals(81, out.getPlaneData(0)[0] + 128);
        assertEquals(16, out.getPlaneData(0)[2] + 128);
        assertEquals(109, out.getPlaneData(1)[0] + 128); // (90.2 + 128) / 2 = 109.1
        assertEquals(184, out.getPlaneData(2)[0] + 128); // (240 + 128) / 2
    }

    private static Integer[] box(int[] v) {
        return new Integer[] {v[0], v[1], v[2]};
    }
}
