package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;

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
     * fp16(lo) | fp16(hi) ≪ 16: two elements as one int of an MMA operand tile (ldmatrix reads the halves in
     * memory order, lo first). Inlined into the kernels that stage tiles.
     */
    public static int pack(float lo, float hi) {
        return (new HalfFloat(lo).getHalfFloatValue() & 0xFFFF) | ((new HalfFloat(hi).getHalfFloatValue() & 0xFFFF) << 16);
    }
}
