package chameleon.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.ConvKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The tensor-core conv3d's data layout, in plain Java (no device: the MMA kernel only lowers on PTX/CUDA and
 * KernelContext kernels do not run as Java): {@link ConvKernels#im2colTiles} slab by slab, a Java GEMM that
 * reads A and B exactly where {@code MmaGemmKernels.mma128x128k32w64x32} reads them (A tiles of 128 rows ×
 * k-steps of 32, B = {@link MmaConv.Weight} tiles), then {@link ConvKernels#scatterBias}, against the fp16
 * reference convolution, for the VAE's convolution kinds (3×3×3 causal, 1×1×1, (3,1,1), 2-D 3×3 stride 2 with
 * bottom/right padding, temporal stride 2) with K and Cout off the block multiples and several slabs.
 */
class MmaConvLayoutTest {
    private static final int BM = 128, BK = 32;

    @Test
    void im2colGemmScatterMatchTheReference() {
        // cIn, tIn, hIn, wIn, cOut, kt, kh, kw, st, sh, sw, padTop, padBottom, padLeft, padRight
        int[][] cases = {
            {5, 3, 9, 13, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},     // causal 3×3×3, K 135
            {48, 1, 6, 10, 130, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},  // 1×1×1, Cout past one block
            {6, 5, 4, 7, 12, 3, 1, 1, 2, 1, 1, 0, 0, 0, 0},     // time_conv, temporal stride 2
            {4, 2, 11, 9, 9, 1, 3, 3, 1, 2, 2, 0, 1, 0, 1},     // downsample2d: ZeroPad(0,1,0,1) + stride 2
        };
        Random rnd = new Random(3);
        for (int[] c : cases) {
            int cIn = c[0], tIn = c[1], hIn = c[2], wIn = c[3], cOut = c[4], kt = c[5], kh = c[6], kw = c[7];
            int tOut = (tIn - kt) / c[8] + 1, hOut = (hIn + c[11] + c[12] - kh) / c[9] + 1, wOut = (wIn + c[13] + c[14] - kw) / c[10] + 1;
            int[] geo = {cIn, tIn, hIn, wIn, cOut, kt, kh, kw, c[8], c[9], c[10], c[11], c[13], tOut, hOut, wOut, 0};
            float[] x = new float[cIn * tIn * hIn * wIn], w = new float[cOut * cIn * kt * kh * kw], b = new float[cOut];
            fill(rnd, x);
            fill(rnd, w);
            fill(rnd, b);
            MmaConv.Weight weight = MmaConv.Weight.of(Tensor.of(w, cOut, cIn, kt, kh, kw));
            int kPad = weight.kPad(), nPad = weight.nPad(), positions = tOut * hOut * wOut, rows = BM;
            HalfFloatArray xv = new HalfFloatArray(x.length);
            for (int i = 0; i < x.length; i++) {
                xv.set(i, new HalfFloat(x[i]));
            }
            IntArray g = IntArray.fromElements(geo), slab = new IntArray(1);
            HalfFloatArray xh = new HalfFloatArray(rows * kPad);
            FloatArray yPad = new FloatArray(rows * nPad), bias = new FloatArray(nPad), y = new FloatArray(cOut * positions);
            for (int i = 0; i < cOut; i++) {
                bias.set(i, b[i]);
            }
            y.init(Float.NaN);
            for (int start = 0; start < positions; start += rows) {
                slab.set(0, start);
                ConvKernels.im2colTiles(xv, xh, g, slab, rows, kPad, BM);
                gemm(xh, weight.tiles(), yPad, rows, kPad, nPad);
                ConvKernels.scatterBias(yPad, bias, y, g, slab, rows, nPad);
            }
            double num = 0, den = 0;
            for (int co = 0; co < cOut; co++) {
                for (int p = 0; p < positions; p++) {
                    double ref = MmaConv.reference(x, w, b, geo, co, p, false);
                    double d = y.get(co * positions + p) - ref;
                    num += d * d;
                    den += ref * ref;
                }
            }
            double rel = Math.sqrt(num / den);
            assertTrue(rel < 1e-5, java.util.Arrays.toString(c) + ": relative error " + rel);
        }
    }

    /** yPad[r, n] = Σ_k A[r, k]·B[n, k], each operand read from its tile layout. */
    private static void gemm(HalfFloatArray xh, IntArray wt, FloatArray yPad, int rows, int kPad, int nPad) {
        for (int r = 0; r < rows; r++) {
            for (int n = 0; n < nPad; n++) {
                yPad.set(r * nPad + n, (float) MmaTileProduct.at(xh, 0, wt, 0, r, n, kPad / BK, kPad / BK));
            }
        }
    }

    private static void fill(Random r, float[] a) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
    }
}
