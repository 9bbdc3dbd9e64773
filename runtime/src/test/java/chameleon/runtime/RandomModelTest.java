package chameleon.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.layers.vae.VaeConfig;
import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.weights.DitConfig;
import chameleon.weights.InMemoryArchive;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The random models: the real one's configs, sizes and heap estimate, and sampled tensors at the real
 * shape (the whole 13 GB is never built in CI); the tiny one built whole, read back by the config
 * inference the engine uses.
 */
class RandomModelTest {
    private static final RandomModel REAL = RandomModel.WAN22_TI2V_5B;

    @Test
    void realModelIsWan22Ti2v5b() {
        assertEquals(REAL, RandomModel.named("wan2.2-ti2v-5b"));
        assertEquals(DitConfig.wan22Ti2v5b(), REAL.dit());
        assertEquals(VaeConfig.wan22().toString(), REAL.vae().toString());
        assertEquals(512, REAL.textLen());
        assertEquals(704, REAL.size().width());
        assertEquals(1280, REAL.size().height());
        assertEquals(4_999_787_712L, REAL.ditParameters()); // ≈ 5.0 B, 10 GB in BF16
        assertEquals(704_688_668L, REAL.vaeParameters()); // × 4 bytes = 2.82 GB, the size of Wan2.2_VAE.pth
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RandomModel.named("wan2.1"));
        assertTrue(e.getMessage().contains("wan2.2-ti2v-5b, tiny"), e.getMessage());
    }

    @Test
    void heapEstimateAtTheRealShape() {
        HeapEstimate host = REAL.heapNeed(SessionOptions.defaults(), true);
        assertEquals(REAL.ditParameters() * 2, host.ditWeights());
        assertEquals(REAL.vaeParameters() * 4, host.vaeWeights());
        assertEquals(30L * 23 * 880 * 3072 * 2 * 4, host.kvCache());               // 14.9 GB
        assertEquals(512L * (4096 + 3072 * 61) * 4, host.prompt());               // 392 MB, as Engine documents
        assertEquals(10L * 4 * 4 * 256 * 640 * 352, host.vaeWorkset());            // 9.2 GB
        HeapEstimate device = REAL.heapNeed(SessionOptions.defaults(), false);
        assertEquals(0, device.kvCache());
        assertEquals(host.total() - host.kvCache(), device.total());
        assertFalse(host.fits(32L << 30));
        assertTrue(host.fits(40L << 30));
        assertEquals(39, host.suggestedXmxGib());
        assertTrue(host.toString().startsWith("34.8 GiB = DiT 9.3 + VAE 2.6 + prompt 0.4 + KV cache 13.9"), host.toString());
    }

    @Test
    void realShapeSamplesHaveTheExpectedShapesAndStd() {
        InMemoryArchive dit = REAL.ditWeights(n -> n.startsWith("blocks.7.self_attn.") || n.startsWith("head."));
        Map<String, Shape> expected = DitConfig.wan22Ti2v5b().expectedTensors();
        assertEquals(13, dit.names().size()); // q, k, v, o with biases, norm_q, norm_k; head modulation, weight, bias
        for (String name : dit.names()) {
            assertEquals(expected.get(name), dit.info(name).shape(), name);
            assertEquals(DType.BF16, dit.info(name).dtype(), name);
        }
        assertEquals(0.02, RandomWeightsTest.stats(dit.tensor("blocks.7.self_attn.q.weight"))[1], 0.0002);
        assertEquals(1.0, RandomWeightsTest.stats(dit.tensor("blocks.7.self_attn.norm_k.weight"))[0]);
        dit.checkFinite();

        InMemoryArchive vae = REAL.vaeWeights(n -> n.startsWith("decoder.upsamples.3.upsamples.0.")
                || n.startsWith("decoder.head.") || n.startsWith("encoder.conv1."));
        Map<String, Shape> expectedVae = VaeConfig.wan22().expectedTensors();
        for (String name : vae.names()) {
            assertEquals(expectedVae.get(name), vae.info(name).shape(), name);
            assertEquals(DType.F32, vae.info(name).dtype(), name);
        }
        // [256, 512, 3, 3, 3]: fan-in 512·27
        double std = RandomWeightsTest.stats(vae.tensor("decoder.upsamples.3.upsamples.0.residual.2.weight"))[1];
        assertEquals(1 / Math.sqrt(512 * 27), std, 0.01 / Math.sqrt(512 * 27));
        vae.checkFinite();

        // the same seed, the same bytes: a second build of one tensor
        assertArrayEquals(dit.tensor("blocks.7.self_attn.o.weight").toF32().toFloatArray(),
                REAL.ditWeights(n -> n.equals("blocks.7.self_attn.o.weight")).tensor("blocks.7.self_attn.o.weight")
                        .toF32().toFloatArray());
    }

    @Test
    void tinyModelIsReadBackAsItsConfigs() {
        RandomModel tiny = RandomModel.TINY;
        InMemoryArchive dit = tiny.ditWeights();
        assertEquals(List.copyOf(tiny.dit().expectedTensors().keySet()), dit.names());
        assertEquals(tiny.dit(), DitConfig.infer(dit));
        tiny.dit().validate(dit);
        InMemoryArchive vae = tiny.vaeWeights();
        assertEquals(List.copyOf(tiny.vae().expectedTensors().keySet()), vae.names());
        assertEquals(tiny.vae().toString(), VaeConfig.infer(vae).toString());
        dit.checkFinite();
        vae.checkFinite();
        assertEquals(Shape.of(16, 64), tiny.promptEmbedding().shape());
        assertArrayEquals(tiny.promptEmbedding().toFloatArray(), tiny.promptEmbedding().toFloatArray());
    }
}
