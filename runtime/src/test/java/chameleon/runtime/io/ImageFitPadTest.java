package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The geometry of {@code ImageOps.fit} and {@code ImageOps.pad}, worked out by hand. */
class ImageFitPadTest {
    @Test
    void fitCropsTheSidesOfAWideImage() {
        // 1000x500 to 704x1280 (ratio 0.55): keep the full height, width 0.55 * 500 = 275, centred.
        PilResampler.Box box = new ImageFit(704, 1280, ResampleFilter.LANCZOS).box(1000, 500);
        assertEquals(new PilResampler.Box(362.5f, 0f, 637.5f, 500f), box);
        // 37x53 to 16x32 (ratio 0.5 < 0.698): width 0.5 * 53 = 26.5, left (37 - 26.5) / 2 = 5.25.
        assertEquals(new PilResampler.Box(5.25f, 0f, 31.75f, 53f),
                new ImageFit(16, 32, ResampleFilter.LANCZOS).box(37, 53));
    }

    @Test
    void fitCropsTopAndBottomOfATallImage() {
        // 100x400 to 16x32 (ratio 0.5): width 100 kept, height 100 / 0.5 = 200, top (400 - 200) / 2 = 100.
        assertEquals(new PilResampler.Box(0f, 100f, 100f, 300f),
                new ImageFit(16, 32, ResampleFilter.LANCZOS).box(100, 400));
    }

    @Test
    void fitOfTheSameAspectTakesTheWholeImage() {
        assertEquals(new PilResampler.Box(0f, 0f, 1408f, 2560f),
                new ImageFit(704, 1280, ResampleFilter.LANCZOS).box(1408, 2560));
    }

    @Test
    void fitOutputHasTheRequestedSize() {
        RgbImage out = new ImageFit(48, 80, ResampleFilter.LANCZOS).apply(RgbImage.filled(123, 45, 0x336699));
        assertEquals(RgbImage.filled(48, 80, 0x336699), out);
    }

    @Test
    void containedSizeRoundsHalfToEvenAsPython() {
        ImagePad pad = new ImagePad(32, 16, ResampleFilter.BICUBIC, ImagePad.WHITE);
        assertArrayEquals(new int[] {11, 16}, pad.containedSize(37, 53)); // 37/53*16 = 11.17
        assertArrayEquals(new int[] {32, 16}, pad.containedSize(64, 32)); // same ratio
        assertArrayEquals(new int[] {32, 1}, pad.containedSize(10_000, 10)); // 0.032 -> at least 1
        ImagePad square = new ImagePad(4, 4, ResampleFilter.BICUBIC, 0);
        assertArrayEquals(new int[] {4, 2}, square.containedSize(8, 5)); // 5/8*4 = 2.5 -> 2 (half to even)
        assertArrayEquals(new int[] {4, 2}, square.containedSize(8, 3)); // 3/8*4 = 1.5 -> 2 (half to even)
        assertArrayEquals(new int[] {2, 4}, square.containedSize(5, 8));
    }

    @Test
    void padCentresOnWhiteWithPythonRounding() {
        // 37x53 into 32x16: content 11x16, offset round(21 * 0.5) = round(10.5) = 10 (half to even).
        RgbImage out = new ImagePad(32, 16, ResampleFilter.BICUBIC, ImagePad.WHITE)
                .apply(RgbImage.filled(37, 53, 0x000000));
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                int expected = x >= 10 && x < 21 ? 0x000000 : 0xFFFFFF;
                assertEquals(expected, out.rgb(x, y), "pixel " + x + "," + y);
            }
        }
        // 8x5 into 4x4 on red: content 4x2 (2.5 -> 2), offset round(2 * 0.5) = 1.
        RgbImage small = new ImagePad(4, 4, ResampleFilter.LANCZOS, 0xFF0000).apply(RgbImage.filled(8, 5, 0x00FF00));
        for (int y = 0; y < 4; y++) {
            assertEquals(y == 1 || y == 2 ? 0x00FF00 : 0xFF0000, small.rgb(0, y), "row " + y);
        }
    }
}
