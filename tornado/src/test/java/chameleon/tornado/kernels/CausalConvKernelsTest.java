package chameleon.tornado.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link CausalConvKernels#convF32} on channels-last volumes against {@link CpuBackend#conv3d} on the
 * channel-first volume the VAE's CausalConv3d builds: [zero frames, cached frames, x] (upsampled ×2 first
 * when {@code up}), for each count of cached frames and the decoder's kernel shapes; and the encoder's downsampling
 * Conv2d (stride 2 after {@code ZeroPad2d((0, 1, 0, 1))}, the last row and column of the even input padded).
 */
class CausalConvKernelsTest {
    private static final CpuBackend CPU = new CpuBackend();

    @ParameterizedTest(name = "Cin {0} Cout {1} k {2}x{3}x{3} frames {4} cached {5} up {6} stride {7}")
    @CsvSource({"32, 16, 3, 3, 1, 0, 0, 1", "32, 16, 1, 1, 1, 0, 0, 1", "16, 32, 3, 3, 2, 1, 0, 1", "48, 32, 3, 3, 1, 2, 0, 1",
            "32, 32, 1, 3, 2, 0, 1, 1", "8, 16, 3, 1, 4, 2, 0, 1", "12, 16, 1, 3, 1, 0, 0, 2", "40, 24, 1, 3, 2, 0, 0, 2"})
    void matchesTheHostConvolution(int cin, int cout, int kt, int k, int frames, int cached, int up, int stride)
            throws Exception {
        Random r = new Random(cin * 31 + cout * 7 + kt + k + frames * 13 + cached * 5 + up + stride * 3);
        int hs = stride == 1 ? 5 : 6, ws = stride == 1 ? 7 : 8;
        Tensor x = random(r, cin, frames, hs, ws);                // [Cin, T, H, W]
        Tensor cache = random(r, cin, 2, hs, ws);                 // [Cin, 2, H, W]; the first `cached` frames used
        Tensor w = random(r, cout, cin, kt, k, k);
        int front = kt - 1;
        // host reference: [zeros, cache[0, n), x] → (upsample) → conv, same padding in H and W
        Tensor seq = x;
        if (front > 0) {
            Tensor zeros = Tensor.zeros(cin, front - cached, hs, ws);
            seq = cached == 0 ? CPU.concat(1, zeros, x) : CPU.concat(1, zeros, CPU.slice(cache, 1, 0, cached), x);
        }
        if (up == 1) {
            seq = CPU.upsampleNearest2x(seq);
        }
        // "same" padding at stride 1; the downsampling's (0, 1) at stride 2
        int p = stride == 1 ? k / 2 : 0, after = stride == 1 ? k / 2 : 1;
        Tensor expected = CPU.conv3d(seq, w, null, 1, stride, stride, p, after, p, after); // [Cout, T, H', W']
        int hOut = expected.dim(2), wOut = expected.dim(3), positions = frames * hOut * wOut;
        int cinPad = (cin + 31) / 32 * 32, taps = kt * k * k, kPad = taps * cinPad, ldy = cout + 3;

        FloatArray xa = channelsLast(x), ca = channelsLast(cache), wa = new FloatArray(cout * kPad), y = new FloatArray(positions * ldy);
        float[] wv = w.toFloatArray();
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                for (int tap = 0; tap < taps; tap++) {
                    wa.set(co * kPad + tap * cinPad + ci, wv[(co * cin + ci) * taps + tap]);
                }
            }
        }
        IntArray geo = new IntArray(CausalConvKernels.GEO);
        int[] g = {cin, cinPad, frames, hs, ws, up, cached, front, kt, k, k, p, p, frames, hOut, wOut, positions, cout, stride};
        for (int i = 0; i < g.length; i++) {
            geo.set(i, g[i]);
        }
        TaskGraph graph = new TaskGraph("convF32Test" + cin + "_" + cout + "_" + kt + k + frames + cached + up + stride)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, xa, ca, wa, geo, y)
                .task("conv", CausalConvKernels::convF32, xa, ca, wa, y, geo, 0, 0, positions, cout, kPad, ldy)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.execute();
        }
        float[] e = expected.toFloatArray();
        double worst = 0;
        for (int co = 0; co < cout; co++) {
            for (int q = 0; q < positions; q++) {
                worst = Math.max(worst, Math.abs(e[co * positions + q] - y.get(q * ldy + co)) / Math.max(1, Math.abs(e[co * positions + q])));
            }
        }
        assertTrue(worst < 1e-4, "max relative error " + worst); // fp32 sums of up to 1296 products in another order
    }

    static Tensor random(Random r, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return t;
    }

    /** [C, T, H, W] → channels-last [T, H, W, C]. */
    static FloatArray channelsLast(Tensor t) {
        int c = t.dim(0), s = (int) (t.numel() / c);
        float[] v = t.toFloatArray();
        FloatArray a = new FloatArray(c * s);
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < s; i++) {
                a.set(i * c + ch, v[ch * s + i]);
            }
        }
        return a;
    }
}
