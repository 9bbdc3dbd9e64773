package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.layers.vae.VaeConfig;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.InMemoryArchive;
import chameleon.weights.TensorArchive;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The device-resident single-image VAE encoder ({@link ResidentVaeEncoder}, {@code plan/EncoderGraph}) through
 * {@link WanVae#encodeImage} / {@link WanVae#encodeMean} on the TornadoVM backend: the golden encode case within the
 * golden README's 1e-4, a random-weight VAE of another shape (three stages, one residual block each, time halved in
 * the first stage, odd latent sizes, non-zero biases, random gammas) equal to the CPU backend, and
 * {@code -Dchameleon.tornado.residentVae=false} still encoding op by op.
 */
class ResidentVaeEncoderTest {
    private static final CpuBackend CPU = new CpuBackend();

    @Test
    void encodesTheGoldenImageOnTheDeviceWithin1e4() throws Exception {
        try (GoldenVaeFiles golden = GoldenVaeFiles.openOrSkip(); TornadoBackend tornado = new TornadoBackend()) {
            TensorArchive caseFile = golden.caseFile();
            WanVae vae = new WanVae(golden.weights(), tornado);
            Tensor image = caseFile.tensor("enc_image_in"); // [3, 1, 32, 48]
            Tensor latent = vae.encodeImage(image);
            Tensor mu = vae.encodeMean(image);
            assertNotNull(tornado.residentEncoderOf(vae), "encodeImage did not ask for the device encoder");
            assertNotNull(tornado.residentEncoderOf(vae).graph(), "the device encoder built no graph");
            double latentDiff = maxDiff(caseFile.tensor("enc_image_latent"), latent, "enc_image_latent");
            double muDiff = maxDiff(caseFile.tensor("enc_image_mu_raw"), mu, "enc_image_mu_raw");
            assertTrue(latentDiff <= 1e-4, "enc_image_latent max |diff| " + latentDiff + " exceeds 1e-4");
            assertTrue(muDiff <= 1e-4, "enc_image_mu_raw max |diff| " + muDiff + " exceeds 1e-4");
        }
    }

    @Test
    void randomWeightsMatchTheCpuBackendAndTheOpByOpSwitchStillWorks() throws Exception {
        VaeConfig config = new VaeConfig(4, 4, 48, new int[] {1, 2, 2}, 1, new boolean[] {true, false},
                new boolean[] {false, true});
        InMemoryArchive weights = randomWeights(config, 7);
        Tensor image = random(new Random(11), 1f, 3, 1, 40, 24); // latent 5 × 3
        Tensor expected = new WanVae(weights, CPU).encodeImage(image);
        Tensor expectedMu = new WanVae(weights, CPU).encodeMean(image);
        try (TornadoBackend tornado = new TornadoBackend()) {
            WanVae vae = new WanVae(weights, tornado);
            Tensor latent = vae.encodeImage(image);
            assertNotNull(tornado.residentEncoderOf(vae), "encodeImage did not use the device encoder");
            assertNotNull(tornado.residentEncoderOf(vae).graph(), "the device encoder built no graph");
            double scale = maxAbs(expected);
            double diff = maxDiff(expected, latent, "random-weight latent (device graph)");
            assertTrue(diff <= 1e-5 * Math.max(1, scale), "device encoder vs CPU: max |diff| " + diff + " (max |expected| "
                    + scale + ")");
            double muDiff = maxDiff(expectedMu, vae.encodeMean(image), "random-weight μ (device graph, second image)");
            assertTrue(muDiff <= 1e-5 * Math.max(1, maxAbs(expectedMu)), "device encoder μ vs CPU: max |diff| " + muDiff);
            // a video of 5 frames (time halved once: latent frames 1 + 4/2) keeps the op-by-op path
            Tensor video = random(new Random(12), 1f, 3, 5, 40, 24);
            Tensor expectedVideo = new WanVae(weights, CPU).encodeVideo(video);
            double videoDiff = maxDiff(expectedVideo, vae.encodeVideo(video), "random-weight 5-frame video (op by op)");
            assertTrue(videoDiff <= 1e-5 * Math.max(1, maxAbs(expectedVideo)), "video encode vs CPU: max |diff| " + videoDiff);
        }
        String key = "chameleon.tornado.residentVae";
        String before = System.getProperty(key);
        System.setProperty(key, "false");
        try (TornadoBackend opByOp = new TornadoBackend()) {
            WanVae vae = new WanVae(weights, opByOp);
            Tensor latent = vae.encodeImage(image);
            assertNull(opByOp.residentEncoderOf(vae), "residentVae=false still made a device encoder");
            assertNull(opByOp.residentEncoder(vae), "residentVae=false still offers a device encoder");
            double diff = maxDiff(expected, latent, "random-weight latent (op by op)");
            assertTrue(diff <= 1e-5 * Math.max(1, maxAbs(expected)), "op-by-op encoder vs CPU: max |diff| " + diff);
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    /** Every tensor of {@code config}: weights uniform with std 1/√fan-in, biases ±0.1, gammas in [0.5, 1.5]. */
    static InMemoryArchive randomWeights(VaeConfig config, long seed) {
        Random r = new Random(seed);
        InMemoryArchive archive = new InMemoryArchive("<random VAE weights " + config + ">");
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            int[] dims = e.getValue().dims();
            Tensor t;
            if (e.getKey().endsWith(".bias")) {
                t = random(r, 0.1f, dims);
            } else if (e.getKey().endsWith(".gamma")) {
                t = random(r, 0.5f, dims);
                float[] a = t.array();
                for (int i = 0; i < a.length; i++) {
                    a[i] += 1f;
                }
            } else {
                t = random(r, (float) Math.sqrt(3.0 * dims[0] / e.getValue().numel()), dims);
            }
            archive.put(e.getKey(), t);
        }
        return archive;
    }

    /** Uniform in [−a, a]. */
    static Tensor random(Random r, float a, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] v = t.array();
        for (int i = 0; i < v.length; i++) {
            v[i] = (r.nextFloat() * 2 - 1) * a;
        }
        return t;
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.toFloatArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double maxDiff(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double d = 0;
        for (int i = 0; i < e.length; i++) {
            double x = Math.abs((double) e[i] - a[i]);
            d = Double.isNaN(x) ? Double.POSITIVE_INFINITY : Math.max(d, x);
        }
        System.out.printf(Locale.ROOT, "%-45s max|diff| %.3e  max|expected| %.3e%n", what, d, maxAbs(expected));
        return d;
    }
}
