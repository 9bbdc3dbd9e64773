package chameleon.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.InMemoryArchive;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The in-memory generator: deterministic, the role rules, and the standard deviation it promises. */
class RandomWeightsTest {
    /** Larger than one 2²⁰-value chunk, so the parallel chunks are exercised. */
    private static final Shape BIG = Shape.of(1536, 1024);

    private static InMemoryArchive archive(long seed, DType dtype, RandomWeights.Scale scale) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("blocks.0.self_attn.q.weight", BIG);
        shapes.put("blocks.0.self_attn.q.bias", Shape.of(64));
        shapes.put("blocks.0.self_attn.norm_q.weight", Shape.of(64));
        shapes.put("blocks.0.norm3.weight", Shape.of(64));
        shapes.put("decoder.head.0.gamma", Shape.of(8, 1, 1, 1));
        shapes.put("head.head.bias", Shape.of(4096));
        shapes.put("decoder.conv1.weight", Shape.of(32, 48, 3, 3, 3));
        return RandomWeights.create("<test>", shapes, seed, dtype, scale);
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() {
        for (DType dtype : new DType[] {DType.BF16, DType.F32}) {
            InMemoryArchive a = archive(7, dtype, RandomWeights.Scale.fixed(0.02));
            InMemoryArchive b = archive(7, dtype, RandomWeights.Scale.fixed(0.02));
            InMemoryArchive c = archive(8, dtype, RandomWeights.Scale.fixed(0.02));
            for (String name : a.names()) {
                assertEquals(dtype, a.tensor(name).dtype(), name);
                assertArrayEquals(a.tensor(name).toF32().toFloatArray(), b.tensor(name).toF32().toFloatArray(), name);
            }
            assertFalse(java.util.Arrays.equals(a.tensor("blocks.0.self_attn.q.weight").toF32().toFloatArray(),
                    c.tensor("blocks.0.self_attn.q.weight").toF32().toFloatArray()));
        }
    }

    @Test
    void bytesArePinned() {
        // GpuBench's and generate's weights: a change here changes every benchmarked model
        Tensor q = archive(42, DType.BF16, RandomWeights.Scale.fixed(0.02f)).tensor("blocks.0.self_attn.q.weight");
        float[] v = q.toF32().toFloatArray();
        double sum = 0;
        for (float x : v) {
            sum += x * 1e3;
        }
        assertEquals(PINNED_SUM, sum, 1e-6, "sum·1000 of blocks.0.self_attn.q.weight at seed 42");
        assertEquals(PINNED_FIRST, v[0]);
    }

    // identical to the generator GpuBench used before it moved here (tornado RandomDitArchive), checked on the move
    private static final double PINNED_SUM = 13031.001012190245;
    private static final float PINNED_FIRST = 0.0040283203f;

    @Test
    void rolesAndStandardDeviation() {
        InMemoryArchive a = archive(1, DType.BF16, RandomWeights.Scale.fixed(0.02));
        for (String ones : new String[] {"blocks.0.self_attn.norm_q.weight", "blocks.0.norm3.weight", "decoder.head.0.gamma"}) {
            for (float x : a.tensor(ones).toF32().toFloatArray()) {
                assertEquals(1f, x, ones);
            }
        }
        for (float x : a.tensor("blocks.0.self_attn.q.bias").toF32().toFloatArray()) {
            assertEquals(0f, x);
        }
        assertNotEquals(0.0, stats(a.tensor("head.head.bias"))[1], "head.head.bias is drawn, not zero");
        double[] s = stats(a.tensor("blocks.0.self_attn.q.weight"));
        assertEquals(0, s[0], 1e-4, "mean");
        assertEquals(0.02, s[1], 0.02 * 0.01, "std");
        assertTrue(s[2] <= 0.02 * Math.sqrt(3) * 1.001, "uniform on [-a, a]: max |x| " + s[2]);

        InMemoryArchive f = archive(1, DType.F32, RandomWeights.Scale.fanIn());
        double[] conv = stats(f.tensor("decoder.conv1.weight"));
        assertEquals(1 / Math.sqrt(48 * 27), conv[1], 0.03 / Math.sqrt(48 * 27), "1/sqrt(fan_in)");
    }

    /** mean, standard deviation, max |x|; fails on a non-finite value. */
    static double[] stats(Tensor t) {
        float[] v = t.toF32().toFloatArray();
        double sum = 0, sq = 0, max = 0;
        for (float x : v) {
            assertTrue(Float.isFinite(x));
            sum += x;
            sq += (double) x * x;
            max = Math.max(max, Math.abs(x));
        }
        double mean = sum / v.length;
        return new double[] {mean, Math.sqrt(sq / v.length - mean * mean), max};
    }
}
