package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ConditioningImageTest {
    @Test
    void tensorIsChannelFirstAndScaledToMinusOneOne() {
        byte[] rgb = new byte[32 * 16 * 3];
        rgb[0] = 0; // (0, 0) R
        rgb[1] = (byte) 255; // (0, 0) G
        rgb[2] = (byte) 128; // (0, 0) B
        int last = (15 * 32 + 31) * 3;
        rgb[last] = 51;
        Tensor t = new ConditioningImage(RgbImage.of(32, 16, rgb)).toTensor();
        assertArrayEquals(new int[] {3, 1, 16, 32}, t.shape().dims());
        float[] x = t.toFloatArray();
        int plane = 16 * 32;
        assertEquals(-1f, x[0]);
        assertEquals(1f, x[plane]);
        assertEquals((128 / 255f - 0.5f) / 0.5f, x[2 * plane]); // 0.0039216
        assertEquals((51 / 255f - 0.5f) / 0.5f, x[plane - 1]); // last pixel, R: −0.6
        assertEquals(-1f, x[3 * plane - 1]);
    }

    @Test
    void defaultsFollowTheReferenceCode() {
        RgbImage photo = RgbImage.filled(50, 30, 0x808080);
        byte[] stripes = photo.toByteArray();
        for (int i = 0; i < stripes.length; i += 9) {
            stripes[i] = (byte) 250;
        }
        photo = RgbImage.of(50, 30, stripes);
        FrameSize size = new FrameSize(32, 48);
        assertEquals(new ImageFit(32, 48, ResampleFilter.LANCZOS).apply(photo),
                ConditioningImage.reference(photo, size).image());
        assertEquals(new ImagePad(32, 48, ResampleFilter.BICUBIC, 0xFFFFFF).apply(photo),
                ConditioningImage.garment(photo, size).image());
        assertEquals(0xFFFFFF, ConditioningImage.garment(photo, size).image().rgb(0, 0)); // padded on white
        assertEquals(size, ConditioningImage.garment(photo, size, ResampleFilter.LANCZOS).size());
    }

    @Test
    void sizesMustBeMultiplesOfSixteen() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FrameSize(700, 1280));
        assertTrue(e.getMessage().contains("multiples of 16") && e.getMessage().contains("700"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FrameSize(0, 16));
        assertThrows(IllegalArgumentException.class, () -> new ConditioningImage(RgbImage.filled(20, 16, 0)));
        assertEquals(new FrameSize(704, 1280), FrameSize.DEFAULT);
    }
}
