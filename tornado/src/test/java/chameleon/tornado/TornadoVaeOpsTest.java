package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every VAE op of {@link TornadoBackend} (conv3d, channelRmsNorm, channelAffine, upsampleNearest2x,
 * permute, concat, slice, mean, clamp) against {@link CpuBackend} on seeded random inputs: odd sizes
 * (partial 4×4 conv tiles), the paddings and strides the VAE uses, F32/BF16/F16 weights, and several
 * shapes through one capacity plan (sizes passed at run time). Runs on the default TornadoVM device
 * (PoCL's CPU device in CI).
 */
class TornadoVaeOpsTest {
    private static TornadoBackend tornado;
    private static final CpuBackend CPU = new CpuBackend();

    @BeforeAll
    static void open() {
        tornado = new TornadoBackend();
        System.out.println("TornadoVM device: " + TornadoBackend.deviceDescription());
    }

    @AfterAll
    static void close() {
        tornado.close();
    }

    private static Tensor random(Random r, float scale, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return t;
    }

    /** max |e − a| / max(1, |e|) ≤ tol, same shape. */
    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) e[i] - a[i]) / Math.max(1.0, Math.abs(e[i]));
            if (!(d <= worst)) {
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                at = i;
            }
        }
        assertTrue(worst <= tol, what + ": max error " + worst + " at " + at + " (expected "
                + (at >= 0 ? e[at] : 0) + ", got " + (at >= 0 ? a[at] : 0) + "), tolerance " + tol);
    }

    private static void conv(Random r, String what, int[] xDims, int[] wDims, boolean bias, DType wType, int st, int sh,
                             int sw, int pt, int pb, int pl, int pr) {
        Tensor x = random(r, 1f, xDims);
        Tensor w = random(r, 0.2f, wDims).convertTo(wType);
        Tensor b = bias ? random(r, 1f, wDims[0]) : null;
        assertClose(CPU.conv3d(x, w, b, st, sh, sw, pt, pb, pl, pr), tornado.conv3d(x, w, b, st, sh, sw, pt, pb, pl, pr),
                1e-5, "conv3d " + what);
    }

    @Test
    void conv3dMatchesCpuForTheVaeGeometries() {
        Random r = new Random(11);
        // CausalConv3d 3×3×3, pad 1 in H/W (time already padded by the caller): odd Cout and pixel counts.
        conv(r, "cube 3 pad 1", new int[] {5, 4, 7, 6}, new int[] {7, 5, 3, 3, 3}, true, DType.F32, 1, 1, 1, 1, 1, 1, 1);
        // Resample downsample: Conv2d 3×3 stride 2 after ZeroPad2d((0, 1, 0, 1)): asymmetric padding.
        conv(r, "downsample stride 2", new int[] {6, 2, 9, 8}, new int[] {6, 6, 1, 3, 3}, true, DType.F32, 1, 2, 2, 0, 1, 0, 1);
        // downsample3d time_conv: (3, 1, 1), temporal stride 2, no padding.
        conv(r, "time_conv stride 2", new int[] {4, 5, 3, 5}, new int[] {4, 4, 3, 1, 1}, true, DType.F32, 2, 1, 1, 0, 0, 0, 0);
        // upsample3d time_conv (3, 1, 1) to 2C channels, and the 1×1×1 head convs, without bias.
        conv(r, "time_conv up", new int[] {3, 4, 4, 3}, new int[] {6, 3, 3, 1, 1}, true, DType.F32, 1, 1, 1, 0, 0, 0, 0);
        conv(r, "1x1x1 no bias", new int[] {9, 2, 3, 5}, new int[] {5, 9, 1, 1, 1}, false, DType.F32, 1, 1, 1, 0, 0, 0, 0);
    }

    @Test
    void conv3dWidens16BitWeightsInTheKernel() {
        Random r = new Random(12);
        conv(r, "bf16", new int[] {5, 3, 6, 5}, new int[] {6, 5, 3, 3, 3}, true, DType.BF16, 1, 1, 1, 1, 1, 1, 1);
        conv(r, "f16", new int[] {5, 3, 6, 5}, new int[] {6, 5, 3, 3, 3}, true, DType.F16, 1, 1, 1, 1, 1, 1, 1);
        // Back to F32 and BF16 through the same plans: the weight mode travels with each call.
        conv(r, "bf16 again", new int[] {5, 3, 6, 5}, new int[] {6, 5, 3, 3, 3}, true, DType.BF16, 1, 1, 1, 1, 1, 1, 1);
    }

    @Test
    void oneConvPlanServesSeveralShapesOfItsCapacity() {
        Random r = new Random(13);
        // The causal stream: first chunk 3 frames, later chunks 4 and 6 (cache + new frames), same weight.
        Tensor w = random(r, 0.2f, 7, 5, 3, 3, 3), b = random(r, 1f, 7);
        for (int t : new int[] {3, 6, 4, 3}) {
            Tensor x = random(r, 1f, 5, t, 6, 7);
            assertClose(CPU.conv3d(x, w, b, 1, 1, 1, 1, 1, 1, 1), tornado.conv3d(x, w, b, 1, 1, 1, 1, 1, 1, 1), 1e-5,
                    "conv3d T=" + t);
        }
    }

    @Test
    void conv3dRejectsMismatchedShapes() {
        Tensor x = Tensor.zeros(3, 2, 4, 4), w = Tensor.zeros(4, 5, 1, 3, 3);
        assertThrows(IllegalArgumentException.class, () -> tornado.conv3d(x, w, null, 1, 1, 1, 1, 1, 1, 1));
    }

    @Test
    void channelRmsNormAndAffineMatchCpu() {
        Random r = new Random(14);
        for (int[] dims : new int[][] {{12, 3, 5, 7}, {8, 1, 4, 6}, {32, 2, 3, 3}}) {
            Tensor x = random(r, 2f, dims), gamma = random(r, 1f, dims[0], 1, 1, 1);
            assertClose(CPU.channelRmsNorm(x, gamma), tornado.channelRmsNorm(x, gamma), 1e-5, "channelRmsNorm");
            Tensor scale = random(r, 1f, dims[0]), shift = random(r, 1f, dims[0]);
            Tensor a = x.copy(), b = x.copy();
            CPU.channelAffine(a, scale, shift);
            tornado.channelAffine(b, scale, shift);
            assertClose(a, b, 1e-6, "channelAffine");
            CPU.channelAffine(a, null, shift);
            tornado.channelAffine(b, null, shift);
            CPU.channelAffine(a, scale, null);
            tornado.channelAffine(b, scale, null);
            assertClose(a, b, 1e-6, "channelAffine with null scale/shift");
        }
    }

    @Test
    void layoutOpsMatchCpu() {
        Random r = new Random(15);
        Tensor x = random(r, 1f, 3, 2, 5, 7);
        assertClose(CPU.upsampleNearest2x(x), tornado.upsampleNearest2x(x), 0, "upsampleNearest2x");
        // Patchify's permute (rank 6) and AvgDown3D's / DupUp3D's (rank 7).
        Tensor p6 = random(r, 1f, 3, 2, 4, 2, 3, 2);
        assertClose(CPU.permute(p6, 0, 5, 3, 1, 2, 4), tornado.permute(p6, 0, 5, 3, 1, 2, 4), 0, "permute rank 6");
        Tensor p7 = random(r, 1f, 4, 2, 2, 3, 2, 2, 2);
        assertClose(CPU.permute(p7, 0, 2, 4, 6, 1, 3, 5), tornado.permute(p7, 0, 2, 4, 6, 1, 3, 5), 0, "permute rank 7");
        assertClose(CPU.permute(p7, 0, 4, 1, 5, 2, 6, 3), tornado.permute(p7, 0, 4, 1, 5, 2, 6, 3), 0, "permute rank 7 b");
        Tensor m = random(r, 1f, 7, 3);
        assertClose(CPU.permute(m, 1, 0), tornado.permute(m, 1, 0), 0, "transpose");
        Tensor a = random(r, 1f, 4, 1, 3, 5), b = random(r, 1f, 4, 2, 3, 5), c = random(r, 1f, 4, 3, 3, 5);
        assertClose(CPU.concat(1, a, b, c), tornado.concat(1, a, b, c), 0, "concat axis 1");
        assertClose(CPU.concat(0, a, a), tornado.concat(0, a, a), 0, "concat axis 0");
        Tensor flat = a.reshape(4, 1, 15);
        Tensor[] copies = {flat, flat, flat, flat, flat, flat, flat, flat};
        assertClose(CPU.concat(1, copies), tornado.concat(1, copies), 0, "concat repeat ×8");
        assertClose(CPU.concat(3, a, a), tornado.concat(3, a, a), 0, "concat last axis");
        assertClose(CPU.slice(c, 1, 1, 3), tornado.slice(c, 1, 1, 3), 0, "slice axis 1");
        assertClose(CPU.slice(c, 1, 2, 3), tornado.slice(c, 1, 2, 3), 0, "slice last frame");
        assertClose(CPU.slice(c, 0, 1, 2), tornado.slice(c, 0, 1, 2), 0, "slice axis 0");
    }

    @Test
    void meanAndClampMatchCpu() {
        Random r = new Random(16);
        Tensor x = random(r, 1f, 6, 8, 15);
        assertClose(CPU.mean(x, 1), tornado.mean(x, 1), 1e-6, "mean axis 1");
        assertClose(CPU.mean(x, 0), tornado.mean(x, 0), 1e-6, "mean axis 0");
        assertClose(CPU.mean(x, 2), tornado.mean(x, 2), 1e-6, "mean axis 2");
        Tensor a = random(r, 2f, 3, 4, 5, 6), b = a.copy();
        CPU.clamp(a, -1f, 1f);
        tornado.clamp(b, -1f, 1f);
        assertClose(a, b, 0, "clamp");
    }
}
