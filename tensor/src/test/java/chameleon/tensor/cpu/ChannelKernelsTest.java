package chameleon.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import chameleon.tensor.Backend;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** channelRmsNorm, channelAffine, mean and clamp against their definitions. */
class ChannelKernelsTest {
    private final Backend backend = new CpuBackend();

    @Test
    void channelRmsNormNormalisesEachPositionOverChannels() {
        Random r = new Random(11);
        int c = 7, s = 2 * 1500; // more positions than one task block
        Tensor x = Conv3dTest.random(r, c, 2, 30, 50);
        Tensor gamma = Conv3dTest.random(r, c, 1, 1, 1);
        Tensor y = backend.channelRmsNorm(x, gamma);
        float[] expected = new float[c * s];
        for (int i = 0; i < s; i++) {
            double ss = 0;
            for (int ch = 0; ch < c; ch++) {
                ss += (double) x.array()[ch * s + i] * x.array()[ch * s + i];
            }
            for (int ch = 0; ch < c; ch++) {
                expected[ch * s + i] = (float) (x.array()[ch * s + i] / Math.max(Math.sqrt(ss), 1e-12) * Math.sqrt(c)
                        * gamma.array()[ch]);
            }
        }
        assertArrayEquals(expected, y.array(), 1e-5f);
    }

    @Test
    void channelRmsNormOfZerosIsZero() {
        Tensor y = backend.channelRmsNorm(Tensor.zeros(3, 4), Tensor.of(new float[] {1, 2, 3}, 3));
        assertArrayEquals(new float[12], y.array());
    }

    @Test
    void channelAffineScalesAndShiftsRows() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        backend.channelAffine(x, Tensor.of(new float[] {2, -1}, 2), Tensor.of(new float[] {0.5f, 1}, 2));
        assertArrayEquals(new float[] {2.5f, 4.5f, 6.5f, -3, -4, -5}, x.array());
        backend.channelAffine(x, null, Tensor.of(new float[] {1, 1}, 2));
        assertArrayEquals(new float[] {3.5f, 5.5f, 7.5f, -2, -3, -4}, x.array());
    }

    @Test
    void meanRemovesTheAxis() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2);
        Tensor m = backend.mean(x, 1);
        assertEquals(Shape.of(2, 2), m.shape());
        assertArrayEquals(new float[] {3, 4, 9, 10}, m.array());
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9}, backend.mean(x, 0).array());
    }

    @Test
    void clampLimitsEveryElement() {
        Tensor x = Tensor.of(new float[] {-3, -0.5f, 0.25f, 2}, 4);
        backend.clamp(x, -1, 1);
        assertArrayEquals(new float[] {-1, -0.5f, 0.25f, 1}, x.array());
    }
}
