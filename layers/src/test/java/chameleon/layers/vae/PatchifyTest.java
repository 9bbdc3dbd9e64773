package chameleon.layers.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import chameleon.tensor.Backend;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PatchifyTest {
    private final Backend b = new CpuBackend();

    @Test
    void channelCTimes4PlusRTimes2PlusQHoldsPixel2hPlusQ2wPlusR() {
        Tensor x = RandomVae.gaussian(new Random(3), 1f, 3, 2, 6, 8);
        Tensor p = Patchify.patchify(b, x);
        assertEquals(Shape.of(12, 2, 3, 4), p.shape());
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < 2; f++) {
                for (int h = 0; h < 3; h++) {
                    for (int w = 0; w < 4; w++) {
                        for (int q = 0; q < 2; q++) {
                            for (int r = 0; r < 2; r++) {
                                float pixel = x.array()[((c * 2 + f) * 6 + 2 * h + q) * 8 + 2 * w + r];
                                assertEquals(pixel, p.array()[(((c * 4 + r * 2 + q) * 2 + f) * 3 + h) * 4 + w]);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void unpatchifyInvertsPatchify() {
        Tensor x = RandomVae.gaussian(new Random(4), 1f, 3, 5, 10, 4);
        assertArrayEquals(x.array(), Patchify.unpatchify(b, Patchify.patchify(b, x)).array());
        Tensor z = RandomVae.gaussian(new Random(5), 1f, 12, 2, 3, 3);
        assertArrayEquals(z.array(), Patchify.patchify(b, Patchify.unpatchify(b, z)).array());
    }
}
