package chameleon.runtime.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.TensorArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The replay of {@code vae_case.safetensors} returns every case output, each within 1e-4 of the reference. */
class VaeCaseReplayTest {

    @Test
    void replaysTheGoldenVaeCase() {
        Path golden = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isDirectory(golden),
                "SKIPPED: golden folder " + golden.toAbsolutePath() + " is absent (see ENGINEERING.md)");
        try (TensorArchive weights = TensorArchive.open(golden.resolve("vae.safetensors"));
             TensorArchive caseFile = TensorArchive.open(golden.resolve("vae_case.safetensors"))) {
            LinkedHashMap<String, Tensor> out = VaeCaseReplay.run(weights, caseFile, new CpuBackend());
            assertEquals(List.of("enc_image_latent", "enc_image_mu_raw", "dec_out_raw", "dec_out", "enc_video_latent"),
                    List.copyOf(out.keySet()));
            for (var e : out.entrySet()) {
                Tensor expected = caseFile.tensor(e.getKey());
                assertEquals(expected.shape(), e.getValue().shape(), e.getKey());
                assertArrayEquals(expected.toFloatArray(), e.getValue().toFloatArray(), 1e-4f, e.getKey());
            }
        }
    }
}
