package chameleon.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.SdpaLayoutKernels;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.HalfFloat;

/**
 * {@link HalfKvCache#copyLayer}, the host side of a session's cache leaving the device: layer ℓ of the F16
 * [layers, heads, cap, d] arrays widened to the host cache's F32 rows [cap, heads, d]. The F16 values are placed with
 * {@link SdpaLayoutKernels#cacheIndex}, the formula the device kernels write with, so the two layouts are checked against
 * each other; no device is involved (the kernels themselves store F16 pairs, which only the CUDA backend compiles).
 */
class HalfKvCacheTest {
    private static final int LAYERS = 3, CAP = 5, HEADS = 2, D = 4;

    /** A distinct F16-exact value for (key or value, absolute row, head, column). */
    private static float value(int kv, int row, int h, int c) {
        return kv * 512 + row * 16 + h * 4 + c + 0.5f;
    }

    @Test
    void widensOneLayerToHostRows() {
        HalfKvCache cache = new HalfKvCache(LAYERS, CAP, HEADS, D);
        for (int row = 0; row < LAYERS * CAP; row++) {
            for (int h = 0; h < HEADS; h++) {
                for (int c = 0; c < D; c++) {
                    int i = SdpaLayoutKernels.cacheIndex(row, h, c, CAP, HEADS, D);
                    cache.keys().set(i, new HalfFloat(value(0, row, h, c)));
                    cache.values().set(i, new HalfFloat(value(1, row, h, c)));
                }
            }
        }
        for (int layer = 0; layer < LAYERS; layer++) {
            Tensor k = Tensor.zeros(CAP, HEADS, D);
            Tensor v = Tensor.zeros(CAP, HEADS, D);
            cache.copyLayer(layer, k, v);
            for (int j = 0; j < CAP; j++) {
                for (int h = 0; h < HEADS; h++) {
                    for (int c = 0; c < D; c++) {
                        long at = ((long) j * HEADS + h) * D + c;
                        int row = layer * CAP + j;
                        assertEquals(value(0, row, h, c), k.segment().getAtIndex(ValueLayout.JAVA_FLOAT, at),
                                "layer " + layer + " key row " + j + " head " + h + " col " + c);
                        assertEquals(value(1, row, h, c), v.segment().getAtIndex(ValueLayout.JAVA_FLOAT, at),
                                "layer " + layer + " value row " + j + " head " + h + " col " + c);
                    }
                }
            }
        }
    }

    @Test
    void refusesTensorsOfAnotherShapeAndLayersPastTheCache() {
        HalfKvCache cache = new HalfKvCache(LAYERS, CAP, HEADS, D);
        assertThrows(IllegalArgumentException.class,
                () -> cache.copyLayer(0, Tensor.zeros(CAP - 1, HEADS, D), Tensor.zeros(CAP, HEADS, D)));
        assertThrows(IllegalArgumentException.class,
                () -> cache.copyLayer(LAYERS, Tensor.zeros(CAP, HEADS, D), Tensor.zeros(CAP, HEADS, D)));
        assertThrows(IllegalArgumentException.class, () -> new HalfKvCache(LAYERS, CAP, HEADS, D + 1));
    }
}
