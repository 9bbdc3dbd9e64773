package chameleon.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tornado.kernels.MmaGemmKernels;
import chameleon.tornado.kernels.ScoreMatrixKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link ScoreMatrixAttention}'s data layout in plain Java (no device: its products are MMA kernels, its softmax a
 * KernelContext kernel): q, K and V staged by the real kernels ({@link MmaGemmKernels#toHalfTiles},
 * {@link ScoreMatrixKernels#packKeyTiles}, {@link ScoreMatrixKernels#packValueTiles}) for a window that starts inside
 * the cache and ends off every block multiple, both products read where the batched GEMM kernel reads them with the
 * plan's batch offsets ({@link MmaTileProduct}), the softmax written where {@link ScoreMatrixKernels#softmaxTiles}
 * writes it; against attention in double on the fp16-rounded operands.
 */
class ScoreMatrixLayoutTest {
    private static final int D = 128;

    @Test
    void stagedProductsAndSoftmaxMatchAttention() {
        int lq = 256, heads = 3, rows = 700, cap = 400, from = 37, to = 37 + 301;
        float scale = (float) (1 / Math.sqrt(D));
        Random rnd = new Random(11);
        FloatArray q = gaussian(rnd, lq * heads * D), k = gaussian(rnd, rows * heads * D), v = gaussian(rnd, rows * heads * D);
        IntArray window = IntArray.fromElements(from, to);
        int keyPad = 512, keySteps = 13, len = to - from;

        HalfFloatArray qTiles = new HalfFloatArray(heads * lq * D);
        IntArray kTiles = new IntArray(heads * keyPad * 64);
        IntArray vTiles = new IntArray(heads * keySteps * 2048);
        kTiles.init(0x7c007c00);   // +Inf pairs: a tile int the packing leaves alone would show
        vTiles.init(0x7c007c00);
        MmaGemmKernels.toHalfTiles(q, qTiles, lq, D, D, 128, 32, heads * D, heads, scale);
        ScoreMatrixKernels.packKeyTiles(k, kTiles, window, heads, keyPad);
        ScoreMatrixKernels.packValueTiles(v, vTiles, window, heads, keySteps);

        double worst = 0;
        for (int h = 0; h < heads; h++) {
            HalfFloatArray p = new HalfFloatArray(lq * keySteps * 32);
            p.init(new HalfFloat(Float.NaN));
            for (int r = 0; r < lq; r++) {
                // S row (h, r): the S product, batch h (x h·lq·128 halves in, w h·keyPad·64 ints), 4 k-steps
                double[] s = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < len; c++) {
                    s[c] = MmaTileProduct.at(qTiles, h * lq * D, kTiles, h * keyPad * 64, r, c, 4, 4);
                    max = Math.max(max, s[c]);
                }
                double sum = 0;
                for (double x : s) {
                    sum += Math.exp(x - max);
                }
                for (int c = 0; c < (len + 31) / 32 * 32; c++) {
                    float x = c < len ? (float) (Math.exp(s[c] - max) / sum) : 0f;
                    p.set(MmaGemmKernels.aTileHalf(r, c, keySteps), new HalfFloat(x));
                }
            }
            for (int r = 0; r < lq; r += 37) {
                double[] ref = reference(q, k, v, heads, h, r, from, to, scale);
                double num = 0, den = 0;
                for (int d = 0; d < D; d++) {
                    // the O product, batch h: ⌈len/32⌉ of keySteps k-steps, V tiles h·keySteps·2048 ints in
                    double o = MmaTileProduct.at(p, 0, vTiles, h * keySteps * 2048, r, d, keySteps, (len + 31) / 32);
                    num += (o - ref[d]) * (o - ref[d]);
                    den += ref[d] * ref[d];
                }
                worst = Math.max(worst, Math.sqrt(num / den));
            }
        }
        assertTrue(worst < 3e-3, "relative error " + worst);
        // keys past the window are zero tiles, not left as they were
        assertEquals(0, kTiles.get(MmaGemmKernels.bTileInt(len + 1, 5, 4)));
        assertEquals(0, vTiles.get(MmaGemmKernels.bTileInt(6, len + 3, keySteps)));
    }

    /** Row r of head h of softmax(q·kᵀ·scale)·v over keys [from, to), operands rounded to fp16 as the kernels do. */
    private static double[] reference(FloatArray q, FloatArray k, FloatArray v, int heads, int h, int r, int from,
                                      int to, float scale) {
        double[] s = new double[to - from];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            double dot = 0;
            for (int d = 0; d < D; d++) {
                dot += (double) f16(q.get((r * heads + h) * D + d) * scale) * f16(k.get((j * heads + h) * D + d));
            }
            s[j - from] = dot;
            max = Math.max(max, dot);
        }
        double sum = 0;
        double[] o = new double[D];
        for (int j = from; j < to; j++) {
            double e = Math.exp(s[j - from] - max);
            sum += e;
            for (int d = 0; d < D; d++) {
                o[d] += e * f16(v.get((j * heads + h) * D + d));
            }
        }
        for (int d = 0; d < D; d++) {
            o[d] /= sum;
        }
        return o;
    }

    private static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    private static FloatArray gaussian(Random rnd, int n) {
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (float) rnd.nextGaussian());
        }
        return a;
    }
}
