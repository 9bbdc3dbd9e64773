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
 * the displaced cache refuses further device forwards with a message that says why.
 */
class ResidentDitTest {

    @Test
    void aNewPromptReplacesEveryLayersCrossKv() throws Exception {
        Path dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("dit.safetensors")), "golden dit.safetensors absent");
        try (TornadoBackend tornado = new TornadoBackend(LinearPlan.Gemm.PARALLEL, false, true);
             TensorArchive weights = TensorArchive.open(dir.resolve("dit.safetensors"))) {
            CausalWanModel model = new CausalWanModel(weights);
            DitConfig cfg = model.config();
            CpuBackend cpu = new CpuBackend();
            int h = 4, w = 4, frames = 2;
            Tensor latents = Tensor.zeros(cfg.inDim(), frames, h, w);
            for (int i = 0; i < latents.numel(); i++) {
                latents.setFloat(i, (float) Math.sin(0.37 * i));
            }
            Tensor[] prompts = new Tensor[2];
            for (int p = 0; p < 2; p++) {
                Tensor text = Tensor.zeros(8, cfg.textDim());
                for (int i = 0; i < text.numel(); i++) {
                    text.setFloat(i, (float) Math.cos((0.11 + 0.05 * p) * i));
                }
                prompts[p] = model.embedText(cpu, text);
            }
            KvCacheGeometry geometry = new KvCacheGeometry(model.tokensPerFrame(h, w), 6, 1, 6);
            KvCache onDevice = new KvCache(geometry, cfg.numLayers(), cfg.numHeads(), cfg.headDim());
            KvCache host = new KvCache(geometry, cfg.numLayers(), cfg.numHeads(), cfg.headDim());
            DitForward device = DitForward.of(model, tornado);
            long[] t = {500, 500};
            // the same chunk twice (the second overwrites the first's KV rows in place), the prompt changed between
            Tensor first = device.forward(latents, t, 0, new KvPlacement.Stream(0), prompts[0], onDevice, ActivationProbe.NONE);
            Tensor second = device.forward(latents, t, 0, new KvPlacement.Stream(0), prompts[1], onDevice, ActivationProbe.NONE);
            Tensor want = model.forward(cpu, latents, t, 0, new KvPlacement.Stream(0), prompts[1], host, ActivationProbe.NONE);
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
        Path dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("dit.safetensors")), "golden dit.safetensors absent");
        try (TornadoBackend tornado = new TornadoBackend(LinearPlan.Gemm.PARALLEL, false, true);
             TensorArchive weights = TensorArchive.open(dir.resolve("dit.safetensors"))) {
            CausalWanModel model = new CausalWanModel(weights);
            DitConfig cfg = model.config();
            CpuBackend cpu = new CpuBackend();
            int h = 4, w = 4, frames = 2;
            int tpf = model.tokensPerFrame(h, w);
            Tensor latents = Tensor.zeros(cfg.inDim(), frames, h, w);
            for (int i = 0; i < latents.numel(); i++) {
                latents.setFloat(i, (float) Math.sin(0.37 * i));
            }
            Tensor text = Tensor.zeros(8, cfg.textDim());
            for (int i = 0; i < text.numel(); i++) {
                text.setFloat(i, (float) Math.cos(0.11 * i));
            }
            Tensor context = model.embedText(cpu, text);
            KvCacheGeometry geometry = new KvCacheGeometry(tpf, 6, 1, 6);
            KvCache a = new KvCache(geometry, cfg.numLayers(), cfg.numHeads(), cfg.headDim());
            KvCache b = new KvCache(geometry, cfg.numLayers(), cfg.numHeads(), cfg.headDim());
            KvCache host = new KvCache(geometry, cfg.numLayers(), cfg.numHeads(), cfg.headDim());

            DitForward device = DitForward.of(model, tornado);
            long[] t = new long[frames];
            device.forward(latents, t, 0, new KvPlacement.Stream(0), context, a, ActivationProbe.NONE);
            model.forward(cpu, latents, t, 0, new KvPlacement.Stream(0), context, host, ActivationProbe.NONE);
            device.forward(latents, t, 0, new KvPlacement.Stream(0), context, b, ActivationProbe.NONE);

            // a was copied to its host tensors when b took the device over
            int rows = frames * tpf;
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
}
