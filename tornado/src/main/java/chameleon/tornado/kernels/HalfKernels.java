package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.vectors.Half2;

/**
 * F32 → F16 on the device, for the 16-bit operands of the vendor library tasks (cuBLAS GemmEx takes F16
 * activations). Round to nearest even; magnitudes beyond 65504 become ±Inf, so the caller's data must fit F16's
 * range (the DiT's activations do; its weights are checked on the host).
 */
public final class HalfKernels {
    private HalfKernels() {
    }

    /** h[i] = (f16) x[i] for i in [0, size). */
    public static void toHalf(FloatArray x, HalfFloatArray h, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            h.set(i, new HalfFloat(x.get(i)));
        }
    }

    /**
     * {@link #toHalf} two elements a thread (size even): one 32-bit F16 pair store, where one half a thread left the
     * conversion at ~1.3 TB/s on the H100 (2640×3072 in 0.037 ms). CUDA backend only (Half2's pair intrinsics).
     */
    public static void toHalfPairs(FloatArray x, HalfFloatArray h, int size) {
        for (@Parallel int i = 0; i < size / 2; i++) {
            h.setHalf2(2 * i, Half2.fromFloats(x.get(2 * i), x.get(2 * i + 1)));
        }
    }

    /**
     * fp16(lo) | fp16(hi) ≪ 16: two elements as one int of an MMA operand tile (ldmatrix reads the halves in
     * memory order, lo first). Inlined into the kernels that stage tiles.
     */
    public static int pack(float lo, float hi) {
        return (new HalfFloat(lo).getHalfFloatValue() & 0xFFFF) | ((new HalfFloat(hi).getHalfFloatValue() & 0xFFFF) << 16);
    }
}
