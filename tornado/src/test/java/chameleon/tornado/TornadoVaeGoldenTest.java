package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.replay.VaeCaseReplay;
import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The golden VAE case (image encode, 4-latent-frame streaming decode with every causal cache rule,
 * 5-frame video encode) replayed through the TornadoVM backend, so every VAE op runs as a device
 * kernel: each output within 1e-4 relative (max |diff| / max |expected|) of the official fp32 run.
 * On PoCL (CI) this checks the kernels' code generation; the same replay on the GPU is {@link VaeSmoke}.
 */
class TornadoVaeGoldenTest {

    @Test
    void replaysTheGoldenVaeCaseWithin1e4Relative() throws Exception {
        replay(0);
    }

    /** With a 1 MB op-plan budget most plans are closed and rebuilt along the way: same results. */
    @Test
    void replaysTheGoldenVaeCaseUnderATinyPlanBudget() throws Exception {
        replay(1_000_000);
    }

    private static void replay(long budget) throws Exception {
        Path dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("vae_case.safetensors")), "golden data folder "
                + dir.toAbsolutePath() + " has no vae_case.safetensors: parity test skipped");
        long t0 = System.nanoTime();
        try (TornadoBackend tornado = new TornadoBackend();
             TensorArchive weights = TensorArchive.open(dir.resolve("vae.safetensors"));
             TensorArchive caseFile = TensorArchive.open(dir.resolve("vae_case.safetensors"))) {
            if (budget > 0) {
                tornado.limitOpPlans(budget);
            }
            LinkedHashMap<String, Tensor> actual = VaeCaseReplay.run(weights, caseFile, tornado);
            if (budget > 0) {
                assertTrue(tornado.evictedPlans() > 0, "a " + budget + "-byte budget closed no plan");
            }
            System.out.printf("VAE golden replay on %s: %.1f s%n", TornadoBackend.deviceDescription(),
                    (System.nanoTime() - t0) / 1e9);
            for (String name : new String[] {"enc_image_latent", "enc_image_mu_raw", "dec_out_raw", "dec_out",
                    "enc_video_latent"}) {
                assertTrue(actual.containsKey(name), "replay did not produce " + name);
            }
            double worst = VaeSmoke.compare(caseFile, actual, System.out);
            assertTrue(worst <= 1e-4, "worst relative error " + worst + " exceeds 1e-4 (device "
                    + TornadoBackend.deviceDescription() + ")");
        }
    }
}
