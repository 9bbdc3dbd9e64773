package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * {@code y = x·wᵀ + b} as a classic shared-memory tiled GEMM ({@link KernelContext}): a 16×16 work
 * group computes a 16×16 tile of y, staging 16×16 tiles of x and w in local memory (rows padded to 17
 * floats against bank conflicts), one output per thread, fp32 accumulation. Global size
 * {@code (⌈N/16⌉·16, ⌈capacity/16⌉·16)}, local size (16, 16); {@code dims[0]} rows are in use.
 * Selected with {@code -Dchameleon.tornado.gemm=local} (the default is {@link GemmKernels}' @Parallel
 * register tiles). KernelContext kernels do not run as plain Java, so these have no host fallback.
 */
public final class LocalGemmKernels {
    public static final int TILE = 16;

    private LocalGemmKernels() {
    }

    /** fp32 weights. */
    public static void linearF32(KernelContext ctx, FloatArray x, FloatArray w, FloatArray b, FloatArray y,
                                 IntArray dims, int k, int n) {
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int row = ctx.groupIdy * 16 + ty;
        int col = ctx.groupIdx * 16 + tx;
        int wRow = ctx.groupIdx * 16 + ty;
        int m = dims.get(0);
        float[] xs = ctx.allocateFloatLocalArray(16 * 17);
        float[] ws = ctx.allocateFloatLocalArray(16 * 17);
        float acc = 0f;
        for (int t = 0; t < k; t += 16) {
            int c = t + tx;
            float xv = 0f;
            if (row < m && c < k) {
                xv = x.get(row * k + c);
            }
            xs[ty * 17 + tx] = xv;
            float wv = 0f;
            if (wRow < n && c < k) {
                wv = w.get(wRow * k + c);
            }
            ws[ty * 17 + tx] = wv;
            ctx.localBarrier();
            for (int j = 0; j < 16; j++) {
                acc += xs[ty * 17 + j] * ws[tx * 17 + j];
            }
            ctx.localBarrier();
        }
        if (row < m && col < n) {
            y.set(row * n + col, acc + b.get(col));
        }
    }

    /** bfloat16 weight bits, widened while loading the tile. */
    public static void linearBf16(KernelContext ctx, FloatArray x, ShortArray w, FloatArray pow2, FloatArray b, FloatArray y,
                                 IntArray dims, int k, int n) {
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int row = ctx.groupIdy * 16 + ty;
        int col = ctx.groupIdx * 16 + tx;
        int wRow = ctx.groupIdx * 16 + ty;
        int m = dims.get(0);
        float[] xs = ctx.allocateFloatLocalArray(16 * 17);
        float[] ws = ctx.allocateFloatLocalArray(16 * 17);
        float acc = 0f;
        for (int t = 0; t < k; t += 16) {
            int c = t + tx;
            float xv = 0f;
            if (row < m && c < k) {
                xv = x.get(row * k + c);
            }
            xs[ty * 17 + tx] = xv;
            float wv = 0f;
            if (wRow < n && c < k) {
                wv = GemmKernels.bf16ToFloat(w.get(wRow * k + c), pow2);
            }
            ws[ty * 17 + tx] = wv;
            ctx.localBarrier();
            for (int j = 0; j < 16; j++) {
                acc += xs[ty * 17 + j] * ws[tx * 17 + j];
            }
            ctx.localBarrier();
        }
        if (row < m && col < n) {
            y.set(row * n + col, acc + b.get(col));
        }
    }

    /** IEEE binary16 weight bits, widened while loading the tile. */
    public static void linearF16(KernelContext ctx, FloatArray x, ShortArray w, FloatArray pow2, FloatArray b, FloatArray y,
                                 IntArray dims, int k, int n) {
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int row = ctx.groupIdy * 16 + ty;
        int col = ctx.groupIdx * 16 + tx;
        int wRow = ctx.groupIdx * 16 + ty;
        int m = dims.get(0);
        float[] xs = ctx.allocateFloatLocalArray(16 * 17);
        float[] ws = ctx.allocateFloatLocalArray(16 * 17);
        float acc = 0f;
        for (int t = 0; t < k; t += 16) {
            int c = t + tx;
            float xv = 0f;
            if (row < m && c < k) {
                xv = x.get(row * k + c);
            }
            xs[ty * 17 + tx] = xv;
            float wv = 0f;
            if (wRow < n && c < k) {
                wv = GemmKernels.f16ToFloat(w.get(wRow * k + c), pow2);
            }
            ws[ty * 17 + tx] = wv;
            ctx.localBarrier();
            for (int j = 0; j < 16; j++) {
                acc += xs[ty * 17 + j] * ws[tx * 17 + j];
            }
            ctx.localBarrier();
        }
        if (row < m && col < n) {
            y.set(row * n + col, acc + b.get(col));
        }
    }
}
