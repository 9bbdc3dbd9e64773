package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * Copies one layer's parameters out of an array that stacks every layer's into the working buffer the
 * kernels of a block read. The DiT runs one block TaskGraph for all 30 blocks (TornadoVM compiles every
 * task of every graph separately, so 30 graphs would mean 30× the JIT), and the layer is chosen at run
 * time by {@code layer[0]}.
 */
public final class StageKernels {
    private StageKernels() {
    }

    /** dst[i] = stacked[layer[0]·size + i] for i &lt; size (16-bit weight bits). */
    public static void stageShorts(ShortArray stacked, ShortArray dst, IntArray layer, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dst.set(i, stacked.get(layer.get(0) * size + i));
        }
    }

    /** dst[i] = stacked[layer[0]·size + i] for i &lt; size. */
    public static void stageFloats(FloatArray stacked, FloatArray dst, IntArray layer, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dst.set(i, stacked.get(layer.get(0) * size + i));
        }
    }

    /** dst[i] = stacked[layer[0]·size + i] for i &lt; size (F16 weights). */
    public static void stageHalves(HalfFloatArray stacked, HalfFloatArray dst, IntArray layer, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dst.set(i, stacked.get(layer.get(0) * size + i));
        }
    }

    /**
     * {@link #stageHalves} two halves a thread (size even): one 32-bit load and store each, where one half a
     * thread left the copy at ~1 TB/s on the H100 (ffn.0's 88 MB in 0.18 ms). CUDA backend only: getHalf2/setHalf2
     * are its intrinsics, and the OpenCL backend cannot compile their Java bodies.
     */
    public static void stageHalfPairs(HalfFloatArray stacked, HalfFloatArray dst, IntArray layer, int size) {
        for (@Parallel int i = 0; i < size / 2; i++) {
            dst.setHalf2(2 * i, stacked.getHalf2(layer.get(0) * size + 2 * i));
        }
    }
}
