package chameleon.tornado.plan;

import chameleon.tornado.kernels.MmaGemmKernels;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One output element of {@code MmaGemmKernels.mma128x128k32w64x32} computed in Java, reading A and B exactly where
 * the kernel reads them ({@link MmaGemmKernels#aTileHalf}, {@link MmaGemmKernels#bTileInt}), for the layout tests
 * of the kernel's users (the MMA lowers only on PTX/CUDA, and KernelContext kernels do not run as Java).
 */
final class MmaTileProduct {
    private MmaTileProduct() {
    }

    /**
     * Σ_k A[r, k]·B[n, k] over the first {@code steps} k-steps of 32, A from the tiles at {@code xOff} halves, B at
     * {@code wOff} ints, both laid out for {@code kSteps} k-steps; in double.
     */
    static double at(HalfFloatArray xh, int xOff, IntArray wt, int wOff, int r, int n, int kSteps, int steps) {
        double s = 0;
        for (int k = 0; k < steps * 32; k++) {
            float a = xh.get(xOff + MmaGemmKernels.aTileHalf(r, k, kSteps)).getFloat32();
            int pair = wt.get(wOff + MmaGemmKernels.bTileInt(n & ~1, k, kSteps));
            short bits = (short) ((n & 1) == 0 ? pair : pair >>> 16);
            s += (double) a * Float.float16ToFloat(bits);
        }
        return s;
    }
}
