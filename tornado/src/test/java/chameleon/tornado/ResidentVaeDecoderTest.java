package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.layers.vae.VaeDecoderStream;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The device decoder holds one stream's causal cache: a stream whose cache another stream displaced gets a clear
 * error on its next frame instead of frames decoded against the other stream's cache, and decodes again after
 * {@link VaeDecoderStream#reset()}, exactly as a fresh stream does.
 */
class ResidentVaeDecoderTest {
    @Test
    void aDisplacedStreamFailsClearlyAndRestartsAfterReset() throws Exception {
        try (GoldenVaeFiles golden = GoldenVaeFiles.openOrSkip(); TornadoBackend tornado = new TornadoBackend()) {
            WanVae vae = new WanVae(golden.weights(), tornado);
            Tensor latents = golden.caseFile().tensor("dec_latent_in"); // [48, F', h, w]
            Tensor frame0 = new chameleon.tensor.cpu.CpuBackend().slice(latents, 1, 0, 1);
            VaeDecoderStream a = vae.decoderStream();
            VaeDecoderStream b = vae.decoderStream();
            a.decodeFrame(frame0);
            float[] fresh = b.decodeFrame(frame0).toFloatArray(); // b takes the device cache over
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.decodeFrame(frame0));
            assertTrue(e.getMessage().contains("displaced"), e.getMessage());
            a.reset();
            assertArrayEquals(fresh, a.decodeFrame(frame0).toFloatArray(), "a restarted stream decodes as a fresh one");
        }
    }
}
