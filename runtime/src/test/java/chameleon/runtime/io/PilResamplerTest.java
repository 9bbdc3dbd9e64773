package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Properties of the PIL resampler that hold independently of the fixtures. */
class PilResamplerTest {
    @ParameterizedTest
    @EnumSource(ResampleFilter.class)
    void constantImageStaysConstant(ResampleFilter filter) {
        RgbImage grey = RgbImage.filled(37, 53, 0x7F10EE);
        for (int[] size : new int[][] {{16, 32}, {100, 7}, {1, 1}, {74, 106}}) {
            RgbImage out = PilResampler.resize(grey, size[0], size[1], filter);
            assertEquals(RgbImage.filled(size[0], size[1], 0x7F10EE), out, filter + " to " + size[0] + "x" + size[1]);
        }
    }

    @ParameterizedTest
    @EnumSource(ResampleFilter.class)
    void downscaledCheckerboardIsGrey(ResampleFilter filter) {
        // 2-pixel checkerboard of black and white: a downscale that antialiases averages it to mid-grey;
        // one that just sampled the kernel at scale 1 would alias to stripes or near-black/white.
        byte[] data = new byte[64 * 64 * 3];
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                byte v = (byte) (((x / 2 + y / 2) % 2 == 0) ? 255 : 0);
                for (int c = 0; c < 3; c++) {
                    data[(y * 64 + x) * 3 + c] = v;
                }
            }
        }
        RgbImage out = PilResampler.resize(RgbImage.of(64, 64, data), 13, 11, filter);
        for (int y = 1; y < out.height() - 1; y++) {
            for (int x = 1; x < out.width() - 1; x++) {
                int v = out.sample(x, y, 0);
                assertTrue(Math.abs(v - 127.5) <= 20, filter + " pixel " + x + "," + y + " = " + v);
            }
        }
    }

    @Test
    void sameSizeWholeImageIsTheImageItself() {
        RgbImage image = RgbImage.filled(5, 4, 0x123456);
        assertSame(image, PilResampler.resize(image, 5, 4, ResampleFilter.LANCZOS));
    }

    @Test
    void integralBoxOfOutputSizeIsACrop() {
        byte[] data = new byte[6 * 5 * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        RgbImage image = RgbImage.of(6, 5, data);
        RgbImage out = PilResampler.resize(image, 3, 2, ResampleFilter.LANCZOS, new PilResampler.Box(2, 1, 5, 3));
        assertEquals(image.crop(2, 1, 3, 2), out);
    }

    @Test
    void upscaleKeepsSamplesOfAnImpulseBounded() {
        // A single white pixel upscaled: Lanczos rings (negative lobes) but PIL clips to 0..255.
        RgbImage image = RgbImage.filled(5, 5, 0);
        byte[] data = image.toByteArray();
        data[(2 * 5 + 2) * 3] = (byte) 255;
        RgbImage out = PilResampler.resize(RgbImage.of(5, 5, data), 40, 40, ResampleFilter.LANCZOS);
        int peak = 0;
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 40; x++) {
                peak = Math.max(peak, out.sample(x, y, 0));
                assertEquals(0, out.sample(x, y, 1));
            }
        }
        assertTrue(peak > 200, "peak " + peak);
    }

    @Test
    void rejectsBadSizesAndBoxes() {
        RgbImage image = RgbImage.filled(8, 8, 0);
        assertThrows(IllegalArgumentException.class, () -> PilResampler.resize(image, 0, 4, ResampleFilter.LANCZOS));
        assertThrows(IllegalArgumentException.class, () -> PilResampler.resize(image, 4, 4, ResampleFilter.LANCZOS,
                new PilResampler.Box(-1, 0, 4, 4)));
        assertThrows(IllegalArgumentException.class, () -> PilResampler.resize(image, 4, 4, ResampleFilter.LANCZOS,
                new PilResampler.Box(0, 0, 9, 4)));
        assertThrows(IllegalArgumentException.class, () -> PilResampler.resize(image, 4, 4, ResampleFilter.LANCZOS,
                new PilResampler.Box(3, 0, 3, 4)));
    }
}
