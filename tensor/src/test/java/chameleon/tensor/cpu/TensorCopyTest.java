package chameleon.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import chameleon.tensor.Backend;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** permute, concat, slice and nearest upsampling against index arithmetic. */
class TensorCopyTest {
    private final Backend backend = new CpuBackend();

    private static Tensor iota(int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = i;
        }
        return t;
    }

    @Test
    void permuteMovesEveryElement() {
        Tensor x = iota(2, 3, 4, 5);
        Tensor y = backend.permute(x, 2, 0, 3, 1);
        assertEquals(Shape.of(4, 2, 5, 3), y.shape());
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    for (int d = 0; d < 5; d++) {
                        assertEquals(x.array()[((a * 3 + b) * 4 + c) * 5 + d], y.array()[((c * 2 + a) * 5 + d) * 3 + b]);
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> backend.permute(x, 0, 0, 1, 2));
    }

    @Test
    void permuteOfAViewHonoursItsOffset() {
        Tensor x = iota(4, 2, 3).rows(2, 4); // elements 12..23
        Tensor y = backend.permute(x, 2, 1, 0);
        assertEquals(12f, y.array()[0]);
        assertEquals(18f, y.array()[1]);
    }

    @Test
    void concatAndSliceAreInverse() {
        Tensor x = iota(3, 5, 2, 2);
        Tensor a = backend.slice(x, 1, 0, 2), b = backend.slice(x, 1, 2, 5);
        assertEquals(Shape.of(3, 3, 2, 2), b.shape());
        assertEquals(x.array()[(1 * 5 + 3) * 4 + 1], b.array()[(1 * 3 + 1) * 4 + 1]);
        Tensor back = backend.concat(1, a, b);
        assertArrayEquals(x.array(), back.array());
        assertThrows(IllegalArgumentException.class, () -> backend.concat(1, a, Tensor.zeros(3, 1, 2, 3)));
    }

    @Test
    void upsampleRepeatsEachPixelTwiceEachWay() {
        Tensor x = iota(2, 3, 4);
        Tensor y = backend.upsampleNearest2x(x);
        assertEquals(Shape.of(2, 6, 8), y.shape());
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 8; j++) {
                    assertEquals(x.array()[(c * 3 + i / 2) * 4 + j / 2], y.array()[(c * 6 + i) * 8 + j]);
                }
            }
        }
    }
}
