package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.tornado.kernels.GemmKernels;
import java.util.Random;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every DiT op of {@link TornadoBackend} against {@link CpuBackend} on seeded random inputs, with odd
 * sizes so that partial 4×4 GEMM tiles and group boundaries are exercised. Both sides accumulate in
 * fp32 (fp16/bf16 weights are widened exactly on both), so the tolerances are fp32 ones scaled by the
 * reduction length. Runs on whatever TornadoVM device is the default (PoCL's CPU device in CI).
 */
class TornadoBackendTest {
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

    @Test
    void linearF32MatchesCpuWithPartialTilesAndBias() {
        Random r = new Random(1);
        Tensor w = random(r, 0.2f, 10, 33), b = random(r, 1f, 10), x = random(r, 1f, 7, 33);
        assertClose(CPU.linear(x, w, b), tornado.linear(x, w, b), 1e-5, "linear f32");
        assertClose(CPU.linear(x, w, null), tornado.linear(x, w, null), 1e-5, "linear f32 no bias");
    }

    @Test
    void linearReusesThePlanForFewerRowsAndGrowsForMore() {
        Random r = new Random(2);
        Tensor w = random(r, 0.1f, 37, 64), b = random(r, 1f, 37);
        for (int m : new int[] {9, 3, 9, 1, 21, 5}) {
            Tensor x = random(r, 1f, m, 64);
            assertClose(CPU.linear(x, w, b), tornado.linear(x, w, b), 1e-5, "linear m=" + m);
        }
    }

    @Test
    void linearWidensBf16AndF16WeightsInTheKernel() {
        Random r = new Random(3);
        Tensor wf = random(r, 0.3f, 13, 48), b = random(r, 1f, 13), x = random(r, 1f, 6, 48);
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            Tensor w = wf.convertTo(dt);
            assertClose(CPU.linear(x, w, b), tornado.linear(x, w, b), 1e-5, "linear " + dt);
        }
    }

    @Test
    void bf16AndF16DecodeAreExactForEveryFiniteBitPattern() {
        FloatArray bf16 = FloatArray.fromArray(GemmKernels.bf16Pow2()), f16 = FloatArray.fromArray(GemmKernels.f16Pow2());
        for (int bits = 0; bits < 65536; bits++) {
            float expected = DType.bf16ToFloat((short) bits), actual = GemmKernels.bf16ToFloat((short) bits, bf16);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isInfinite(actual), "bf16 NaN pattern " + bits + " decodes to ±Inf");
            } else {
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), "bf16 pattern " + bits);
            }
            expected = DType.f16ToFloat((short) bits);
            actual = GemmKernels.f16ToFloat((short) bits, f16);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isInfinite(actual), "f16 NaN pattern " + bits + " decodes to ±Inf");
            } else {
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), "pattern " + bits);
            }
        }
    }

    /**
     * The KernelContext local-memory GEMM (opt-in). TORNADOVM.md notes that some KernelContext matmuls
     * give wrong values on PoCL; this one is checked here all the same, with partial tiles.
     */
    @Test
    void localMemoryGemmMatchesCpu() {
        Random r = new Random(11);
        try (TornadoBackend local = new TornadoBackend(chameleon.tornado.plan.LinearPlan.Gemm.LOCAL)) {
            Tensor w = random(r, 0.2f, 37, 70), b = random(r, 1f, 37);
            for (int m : new int[] {5, 19, 3}) {
                Tensor x = random(r, 1f, m, 70);
                assertClose(CPU.linear(x, w, b), local.linear(x, w, b), 1e-5, "local gemm f32 m=" + m);
            }
            for (DType dt : new DType[] {DType.BF16, DType.F16}) {
                Tensor wd = w.convertTo(dt), x = random(r, 1f, 18, 70);
                assertClose(CPU.linear(x, wd, b), local.linear(x, wd, b), 1e-5, "local gemm " + dt);
            }
        }
    }

    @Test
    void layerNormWithAndWithoutAffine() {
        Random r = new Random(4);
        Tensor x = random(r, 2f, 11, 70), w = random(r, 1f, 70), b = random(r, 1f, 70);
        assertClose(CPU.layerNorm(x, null, null, 1e-6f), tornado.layerNorm(x, null, null, 1e-6f), 1e-5, "layerNorm");
        assertClose(CPU.layerNorm(x, w, b, 1e-6f), tornado.layerNorm(x, w, b, 1e-6f), 1e-5, "layerNorm affine");
    }

    @Test
    void rmsNormWithAndWithoutWeight() {
        Random r = new Random(5);
        Tensor x = random(r, 2f, 9, 256), w = random(r, 1f, 256);
        assertClose(CPU.rmsNorm(x, null, 1e-6f), tornado.rmsNorm(x, null, 1e-6f), 1e-5, "rmsNorm");
        assertClose(CPU.rmsNorm(x, w, 1e-6f), tornado.rmsNorm(x, w, 1e-6f), 1e-5, "rmsNorm weight");
        Tensor wb = w.convertTo(DType.BF16);
        assertClose(CPU.rmsNorm(x, wb, 1e-6f), tornado.rmsNorm(x, wb, 1e-6f), 1e-5, "rmsNorm bf16 weight");
    }

    @Test
    void modulateAndAddGatedPerGroup() {
        Random r = new Random(6);
        Tensor x = random(r, 1f, 12, 20), shift = random(r, 1f, 3, 20), scale = random(r, 1f, 3, 20);
        Tensor y = random(r, 1f, 12, 20), gate = random(r, 1f, 3, 20);
        Tensor a = x.copy(), b = x.copy();
        CPU.modulate(a, shift, scale);
        tornado.modulate(b, shift, scale);
        assertClose(a, b, 1e-6, "modulate");
        CPU.addGated(a, y, gate);
        tornado.addGated(b, y, gate);
        assertClose(a, b, 1e-6, "addGated");
    }

    @Test
    void addSiluGelu() {
        Random r = new Random(7);
        Tensor x = random(r, 3f, 5, 41), y = random(r, 3f, 5, 41);
        Tensor a = x.copy(), b = x.copy();
        CPU.add(a, y);
        tornado.add(b, y);
        assertClose(a, b, 1e-7, "add");
        CPU.silu(a);
        tornado.silu(b);
        assertClose(a, b, 1e-6, "silu");
        CPU.geluTanh(a);
        tornado.geluTanh(b);
        assertClose(a, b, 1e-6, "geluTanh");
    }

    @Test
    void ropeRotatesAdjacentPairs() {
        Random r = new Random(8);
        int l = 7, h = 3, d = 16;
        Tensor x = random(r, 1f, l, h, d);
        float[] c = new float[l * d / 2], s = new float[l * d / 2];
        for (int i = 0; i < c.length; i++) {
            double angle = r.nextDouble() * 10;
            c[i] = (float) Math.cos(angle);
            s[i] = (float) Math.sin(angle);
        }
        Tensor cos = Tensor.of(c, l, d / 2), sin = Tensor.of(s, l, d / 2);
        Tensor a = x.copy(), b = x.copy();
        CPU.rope(a, cos, sin);
        tornado.rope(b, cos, sin);
        assertClose(a, b, 1e-6, "rope");
    }

    @Test
    void attentionOverAKeyRange() {
        Random r = new Random(9);
        int lq = 5, cap = 40, h = 2, d = 32;
        Tensor q = random(r, 1f, lq, h, d), k = random(r, 1f, cap, h, d), v = random(r, 1f, cap, h, d);
        float scale = (float) (1 / Math.sqrt(d));
        assertClose(CPU.attention(q, k, v, 0, cap, scale), tornado.attention(q, k, v, 0, cap, scale), 1e-5, "attention full");
        assertClose(CPU.attention(q, k, v, 7, 31, scale), tornado.attention(q, k, v, 7, 31, scale), 1e-5, "attention range");
        // Large scores: the online max must keep exp() finite.
        Tensor q2 = random(r, 30f, lq, h, d);
        assertClose(CPU.attention(q2, k, v, 3, 29, scale), tornado.attention(q2, k, v, 3, 29, scale), 1e-4, "attention peaked");
    }

    /** Each attention kernel directly, d 32 and 128, lq not a multiple of the work group, partial key tiles. */
    @Test
    void everyAttentionKernelMatchesCpu() {
        Random r = new Random(21);
        int[][] shapes = {{5, 40, 2, 32}, {70, 83, 3, 128}};
        for (int[] sh : shapes) {
            int lq = sh[0], cap = sh[1], h = sh[2], d = sh[3];
            Tensor q = random(r, 1f, lq, h, d), k = random(r, 1f, cap, h, d), v = random(r, 1f, cap, h, d);
            Tensor q2 = random(r, 30f, lq, h, d);
            float scale = (float) (1 / Math.sqrt(d));
            for (String variant : new String[] {"NAIVE", "PRIVATE", "TILED:64", "TILED:128"}) {
                String[] parts = variant.split(":");
                chameleon.tornado.plan.OpPlans.AttentionKernel kind = chameleon.tornado.plan.OpPlans.AttentionKernel.valueOf(parts[0]);
                int bq = parts.length > 1 ? Integer.parseInt(parts[1]) : 64;
                chameleon.tornado.plan.OpPlans.Attention p = chameleon.tornado.plan.OpPlans.Attention.create(lq, cap, h, d, kind, bq);
                try {
                    int[][] ranges = {{0, cap}, {7, 31}, {3, cap - 1}, {cap - 1, cap}};
                    for (int[] rg : ranges) {
                        for (Tensor qq : new Tensor[] {q, q2}) {
                            chameleon.tornado.plan.HostCopy.put(qq, p.q());
                            chameleon.tornado.plan.HostCopy.put(k, p.k());
                            chameleon.tornado.plan.HostCopy.put(v, p.v());
                            p.range().set(0, rg[0]);
                            p.range().set(1, rg[1]);
                            p.scale().set(0, scale);
                            p.plan().run();
                            Tensor out = Tensor.zeros(lq, h, d);
                            chameleon.tornado.plan.HostCopy.get(p.out(), out);
                            assertClose(CPU.attention(qq, k, v, rg[0], rg[1], scale), out, qq == q ? 1e-5 : 1e-4,
                                    "attention " + variant + " d " + d + " lq " + lq + " [" + rg[0] + ", " + rg[1] + ")");
                        }
                    }
                } finally {
                    p.plan().close();
                }
            }
        }
    }

    @Test
    void copyRowsOverlappingLikeMemmove() {
        Random r = new Random(10);
        Tensor x = random(r, 1f, 20, 3, 4);
        Tensor a = x.copy(), b = x.copy();
        CPU.copyRows(a, 8, a, 5, 10);
        tornado.copyRows(b, 8, b, 5, 10);
        assertClose(a, b, 0, "copyRows backwards overlap");
        CPU.copyRows(a, 2, a, 6, 9);
        tornado.copyRows(b, 2, b, 6, 9);
        assertClose(a, b, 0, "copyRows forwards overlap");
        Tensor other = Tensor.zeros(4, 3, 4);
        Tensor c = other.copy();
        CPU.copyRows(a, 0, other, 1, 3);
        tornado.copyRows(b, 0, c, 1, 3);
        assertClose(other, c, 0, "copyRows between tensors");
    }
}
