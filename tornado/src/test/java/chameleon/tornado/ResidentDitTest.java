package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvCacheGeometry;
import chameleon.kvcache.KvPlacement;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.dit.DitForward;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.tornado.plan.LinearPlan;
import chameleon.weights.DitConfig;
import chameleon.weights.TensorArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A prompt change on the device (the context uploaded once, every layer's cross K/V recomputed), and the
 * device-resident forward's KV cache ownership: one session's cache on the device at a time; a fresh
 * cache takes it over after the previous one is copied to its host tensors (which then match a host run), and
 * the displaced cache refuses further device forwards with a message that says why; and chunks appended past the
 * window, which the device evicts by rolling its cache rows, attend as the host's ring buffer does.
 */
class ResidentDitTest {
    private static final int H = 4;
    private static final int W = 4;
    private static final int FRAMES = 2;

    /** The golden DiT on the device-resident TornadoVM path (java kernels: fp32 on PoCL), with small inputs. */
    private record Golden(TornadoBackend tornado, TensorArchive weights, CausalWanModel model, CpuBackend cpu)
            implements AutoCloseable {
        static Golden open() throws Exception {
            Path dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
            Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("dit.safetensors")), "golden dit.safetensors absent");
            TensorArchive weights = TensorArchive.open(dir.resolve("dit.safetensors"));
            return new Golden(new TornadoBackend(LinearPlan.Gemm.PARALLEL, false, true), weights,
                    new CausalWanModel(weights), new CpuBackend());
        }

        DitConfig cfg() {
            return model.config();
        }

        /** [in, FRAMES, H, W] latents. */
        Tensor latents() {
            Tensor latents = Tensor.zeros(cfg().inDim(), FRAMES, H, W);
            for (int i = 0; i < latents.numel(); i++) {
                latents.setFloat(i, (float) Math.sin(0.37 * i));
            }
            return latents;
        }

        /** An embedded prompt [8, dim]; {@code f} sets its values. */
        Tensor prompt(double f) {
            Tensor text = Tensor.zeros(8, cfg().textDim());
            for (int i = 0; i < text.numel(); i++) {
                text.setFloat(i, (float) Math.cos(f * i));
            }
            return model.embedText(cpu, text);
        }

        int tokensPerFrame() {
            return model.tokensPerFrame(H, W);
        }

        KvCache cache() {
            KvCacheGeometry geometry = new KvCacheGeometry(tokensPerFrame(), 6, 1, 6);
            return new KvCache(geometry, cfg().numLayers(), cfg().numHeads(), cfg().headDim());
        }

        @Override
        public void close() throws Exception {
            try (tornado) {
                weights.close();
            }
        }
    }

    @Test
    void aNewPromptReplacesEveryLayersCrossKv() throws Exception {
        try (Golden g = Golden.open()) {
            Tensor latents = g.latents();
            Tensor[] prompts = {g.prompt(0.11), g.prompt(0.16)};
            KvCache onDevice = g.cache();
            DitForward device = DitForward.of(g.model(), g.tornado());
            long[] t = {500, 500};
            // the same chunk twice (the second overwrites the first's KV rows in place), the prompt changed between
            Tensor first = device.forward(latents, t, 0, new KvPlacement.Stream(0), prompts[0], onDevice, ActivationProbe.NONE);
            Tensor second = device.forward(latents, t, 0, new KvPlacement.Stream(0), prompts[1], onDevice, ActivationProbe.NONE);
            Tensor want = g.model().forward(g.cpu(), latents, t, 0, new KvPlacement.Stream(0), prompts[1], g.cache(),
                    ActivationProbe.NONE);
            double worst = 0, moved = 0;
            for (int i = 0; i < want.numel(); i++) {
                worst = Math.max(worst, Math.abs(second.getFloat(i) - want.getFloat(i)));
                moved = Math.max(moved, Math.abs(second.getFloat(i) - first.getFloat(i)));
            }
            assertTrue(moved > 1e-3, "the second prompt changed the output: max |diff| " + moved);
            assertTrue(worst < 1e-3, "device forward after a prompt change vs the host run: max |diff| " + worst);
        }
    }

    @Test
    void aFreshCacheTakesTheDeviceOverAndTheDisplacedOneIsOnTheHost() throws Exception {
        try (Golden g = Golden.open()) {
            DitConfig cfg = g.cfg();
            Tensor latents = g.latents();
            Tensor context = g.prompt(0.11);
            KvCache a = g.cache();
            KvCache b = g.cache();
            KvCache host = g.cache();

            DitForward device = DitForward.of(g.model(), g.tornado());
            long[] t = new long[FRAMES];
            device.forward(latents, t, 0, new KvPlacement.Stream(0), context, a, ActivationProbe.NONE);
            g.model().forward(g.cpu(), latents, t, 0, new KvPlacement.Stream(0), context, host, ActivationProbe.NONE);
            device.forward(latents, t, 0, new KvPlacement.Stream(0), context, b, ActivationProbe.NONE);

            // a was copied to its host tensors when b took the device over
            int rows = FRAMES * g.tokensPerFrame();
            double worst = 0;
            double largest = 0;
            for (int l = 0; l < cfg.numLayers(); l++) {
                float[] got = a.self(l).keys().toFloatArray();
                float[] want = host.self(l).keys().toFloatArray();
                int n = rows * cfg.numHeads() * cfg.headDim();
                for (int i = 0; i < n; i++) {
                    worst = Math.max(worst, Math.abs(got[i] - want[i]));
                    largest = Math.max(largest, Math.abs(want[i]));
                }
            }
            assertTrue(largest > 0.1, "the host run wrote keys");
            assertTrue(worst < 1e-3, "displaced cache's keys vs the host run: max |diff| " + worst);
            assertEquals(rows, a.self(0).localEnd());

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> device.forward(latents, t, 0,
                    new KvPlacement.Stream(0), context, a, ActivationProbe.NONE));
            assertTrue(e.getMessage().contains("moved off the device"), e.getMessage());
        }
    }

    /**
     * Chunks appended past the window: the device evicts by rolling its cache rows (the fixed-grid row moves of
     * {@code DitGraphs}) and must attend to the same rows as the host's {@code KvRingBuffer}, chunk after chunk.
     */
    @Test
    void appendingPastTheWindowRollsTheDeviceCacheAsTheHostDoes() throws Exception {
        try (Golden g = Golden.open()) {
            Tensor context = g.prompt(0.11);
            KvCache onDevice = g.cache();
            KvCache host = g.cache();
            DitForward device = DitForward.of(g.model(), g.tornado());
            long[] t = {250, 250};
            int chunk = FRAMES * g.tokensPerFrame();
            double worst = 0;
            for (int c = 0; c < 5; c++) {
                Tensor latents = g.latents();
                for (int i = 0; i < latents.numel(); i++) {
                    latents.setFloat(i, (float) Math.sin(0.37 * i + c));
                }
                Tensor got = device.forward(latents, t, c * FRAMES, new KvPlacement.Stream(c * chunk), context, onDevice,
                        ActivationProbe.NONE);
                Tensor want = g.model().forward(g.cpu(), latents, t, c * FRAMES, new KvPlacement.Stream(c * chunk),
                        context, host, ActivationProbe.NONE);
                for (int i = 0; i < want.numel(); i++) {
                    worst = Math.max(worst, Math.abs(got.getFloat(i) - want.getFloat(i)));
                }
            }
            // 5 chunks of 2 frames through a window of 6: the last chunks evicted (and rolled) rows
            assertTrue(host.self(0).globalEnd() > host.self(0).capacity(),
                    "tokens " + host.self(0).globalEnd() + " exceed the window " + host.self(0).capacity());
            assertTrue(worst < 1e-3, "device forwards past the window vs the host runs: max |diff| " + worst);
        }
    }
}
