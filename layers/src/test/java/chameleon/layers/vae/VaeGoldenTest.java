package chameleon.layers.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.TensorArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Parity with the official {@code WanVAE_} on the golden tiny VAE (dim 8, dec_dim 8, z 48): every output
 * of {@code vae_case.safetensors} within 1e-4 absolute (golden/README.md). Prints max |diff| per tensor.
 */
class VaeGoldenTest {
    private static final float TOLERANCE = 1e-4f;

    private static TensorArchive weights;
    private static TensorArchive caseFile;
    private static WanVae vae;
    private static final Backend B = new CpuBackend();

    @BeforeAll
    static void open() {
        Path golden = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(golden),
                "SKIPPED: golden folder " + golden.toAbsolutePath() + " is absent (see ENGINEERING.md)");
        weights = TensorArchive.open(golden.resolve("vae.safetensors"));
        caseFile = TensorArchive.open(golden.resolve("vae_case.safetensors"));
        vae = new WanVae(weights, B);
    }

    @AfterAll
    static void close() {
        if (weights != null) {
            weights.close();
            caseFile.close();
        }
    }

    private static void assertClose(String name, Tensor actual) {
        Tensor expected = caseFile.tensor(name);
        assertEquals(expected.shape(), actual.shape(), name);
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double max = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i] - a[i]));
        }
        System.out.printf("golden VAE %-17s %-16s max |diff| = %.3e%n", name, expected.shape(), max);
        assertArrayEquals(e, a, TOLERANCE, name);
    }

    @Test
    void configIsTheGoldenTinyVae() {
        VaeConfig c = vae.config();
        assertEquals(8, c.dim());
        assertEquals(8, c.decDim());
        assertEquals(48, c.zDim());
        assertArrayEquals(new int[] {1, 2, 4, 4}, c.dimMult());
        assertEquals(2, c.numResBlocks());
        assertArrayEquals(new boolean[] {false, true, true}, c.temporalDownsample());
        assertArrayEquals(new boolean[] {true, true, false}, c.temporalUpsample());
        assertEquals(196, weights.names().size());
    }

    @Test
    void latentStatisticsAreTheStoredOnes() {
        assertArrayEquals(caseFile.tensor("latents_mean").toFloatArray(), WanVae.LATENTS_MEAN, 0f);
        assertArrayEquals(caseFile.tensor("latents_std").toFloatArray(), WanVae.LATENTS_STD, 0f);
    }

    @Test
    void encodeImage() {
        Tensor image = caseFile.tensor("enc_image_in");
        assertClose("enc_image_latent", vae.encodeImage(image));
        assertClose("enc_image_mu_raw", vae.encodeMean(image));
    }

    @Test
    void encodeVideo() {
        assertClose("enc_video_latent", vae.encodeVideo(caseFile.tensor("enc_video_in")));
    }

    @Test
    void streamingDecodeFrameByFrame() {
        Tensor latents = caseFile.tensor("dec_latent_in"); // [48, 4, 2, 3]
        VaeDecoderStream stream = vae.decoderStream();
        Tensor[] px = new Tensor[latents.dim(1)];
        for (int i = 0; i < px.length; i++) {
            px[i] = stream.decodeFrame(B.slice(latents, 1, i, i + 1));
            assertEquals(i == 0 ? 1 : 4, px[i].dim(1));
        }
        Tensor raw = B.concat(1, px);
        assertClose("dec_out_raw", raw);
        assertClose("dec_out", vae.clampPixels(raw.copy()));
        assertTrue(stream.framesDecoded() == 4);
    }
}
