package chameleon.tornado;

import chameleon.weights.TensorArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The golden VAE files ({@code ../shared/golden}, or {@code -Dchameleon.golden}): the tiny VAE's weights
 * ({@code vae.safetensors}) and its case ({@code vae_case.safetensors}), open together; the calling test is
 * skipped, naming the folder, where the case is absent.
 */
record GoldenVaeFiles(TensorArchive weights, TensorArchive caseFile) implements AutoCloseable {
    static GoldenVaeFiles openOrSkip() {
        Path dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("vae_case.safetensors")), "golden data folder "
                + dir.toAbsolutePath() + " has no vae_case.safetensors: test skipped");
        TensorArchive weights = TensorArchive.open(dir.resolve("vae.safetensors"));
        try {
            return new GoldenVaeFiles(weights, TensorArchive.open(dir.resolve("vae_case.safetensors")));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try (weights; caseFile) {
            // closes both, the case file first
        }
    }
}
