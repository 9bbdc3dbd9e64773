package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.replay.VaeCaseReplay;
import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;

/**
 * The golden VAE case (image encode, 4-latent-frame streaming decode with every causal cache rule,
 * 5-frame video encode) replayed through the TornadoVM backend, so every VAE op runs as a device
 * kernel (the image encode and the decode on their device-resident graphs, the video encode op by op):
 * each output within 1e-4 relative (max |diff| / max |expected|) of the official fp32 run.
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
        long t0 = System.nanoTime();
        try (GoldenVaeFiles golden = GoldenVaeFiles.openOrSkip(); TornadoBackend tornado = new TornadoBackend()) {
            TensorArchive weights = golden.weights(), caseFile = golden.caseFile();
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
