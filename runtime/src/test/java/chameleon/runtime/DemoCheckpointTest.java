package chameleon.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvCacheGeometry;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Backend;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.DitConfig;
import chameleon.weights.TensorArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded demo model: reproducible, reused, loadable by the real modules, and numerically tame. */
class DemoCheckpointTest {
    @TempDir
    static Path tmp;

    private static DemoCheckpoint demo;
    private final Backend backend = new CpuBackend();

    @BeforeAll
    static void create() {
        demo = DemoCheckpoint.ensure(tmp.resolve("a").resolve(DemoCheckpoint.VERSION));
    }

    @Test
    void createdTwiceGivesByteIdenticalFiles() throws Exception {
        DemoCheckpoint other = DemoCheckpoint.ensure(tmp.resolve("b"));
        assertArrayEquals(Files.readAllBytes(demo.dit()), Files.readAllBytes(other.dit()));
        assertArrayEquals(Files.readAllBytes(demo.vae()), Files.readAllBytes(other.vae()));
    }

    @Test
    void secondEnsureReusesTheFilesAndLeavesNoTemporaries() throws Exception {
        Path dir = demo.dit().getParent();
        var modified = Files.getLastModifiedTime(demo.dit());
        DemoCheckpoint again = DemoCheckpoint.ensure(dir);
        assertEquals(demo, again);
        assertEquals(modified, Files.getLastModifiedTime(again.dit()));
        try (var siblings = Files.list(dir.getParent())) {
            assertEquals(1, siblings.count(), "only the checkpoint folder, no .tmp leftovers");
        }
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count());
        }
    }

    @Test
    void anEmptyFolderIsFilledAndAHalfFilledOneIsRefusedByName() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertTrue(Files.isRegularFile(DemoCheckpoint.ensure(empty).vae()));
        Path half = Files.createDirectories(tmp.resolve("half"));
        Files.writeString(half.resolve(DemoCheckpoint.DIT_FILE), "x");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> DemoCheckpoint.ensure(half));
        assertTrue(e.getMessage().contains(half.toString()) && e.getMessage().contains("vae.safetensors"),
                e.getMessage());
    }

    @Test
    void defaultDirIsOverridable() {
        String old = System.getProperty(DemoCheckpoint.DIR_PROPERTY);
        try {
            System.clearProperty(DemoCheckpoint.DIR_PROPERTY);
            assertTrue(DemoCheckpoint.defaultDir().endsWith(Path.of(".cache", "chameleon-j", "demo-v1")));
            System.setProperty(DemoCheckpoint.DIR_PROPERTY, tmp.resolve("x").toString());
            assertEquals(tmp.resolve("x"), DemoCheckpoint.defaultDir());
        } finally {
            if (old == null) {
                System.clearProperty(DemoCheckpoint.DIR_PROPERTY);
            } else {
                System.setProperty(DemoCheckpoint.DIR_PROPERTY, old);
            }
        }
    }

    @Test
    void ditValidatesAndStaysFiniteOverManyChunks() {
        try (TensorArchive a = TensorArchive.open(demo.dit())) {
            DitConfig cfg = DemoCheckpoint.ditConfig();
            cfg.validate(a);
            assertEquals(cfg, DitConfig.infer(a));
            CausalWanModel model = new CausalWanModel(a);
            int h = DemoCheckpoint.HEIGHT / 16, w = DemoCheckpoint.WIDTH / 16;
            int tokens = model.tokensPerFrame(h, w);
            assertEquals(40, tokens);
            KvCache cache = new KvCache(new KvCacheGeometry(tokens, 8, 2, 8), cfg.numLayers(), cfg.numHeads(),
                    cfg.headDim());
            Random random = new Random(7);
            Tensor context = model.embedText(backend, gaussian(random, DemoCheckpoint.TEXT_LEN, cfg.textDim()));
            // Prefill two conditioning frames, then chunks of 3 frames well past the 8-frame window.
            model.forward(backend, gaussian(random, 48, 2, h, w), new long[2], 0, context, cache, ActivationProbe.NONE);
            for (int chunk = 0; chunk < 6; chunk++) {
                Tensor v = model.forward(backend, gaussian(random, 48, 3, h, w), new long[] {750, 750, 750},
                        2 + 3 * chunk, context, cache, ActivationProbe.NONE);
                assertEquals(Shape.of(48, 3, h, w), v.shape());
                assertOrderOne(v, "velocity of chunk " + chunk);
            }
        }
    }

    @Test
    void vaeEncodesAndDecodesARandomImageToFiniteValues() {
        try (TensorArchive a = TensorArchive.open(demo.vae())) {
            WanVae vae = new WanVae(a, backend);
            assertEquals(DemoCheckpoint.vaeConfig().toString(), vae.config().toString());
            Random random = new Random(11);
            Tensor image = gaussian(random, 3, 1, DemoCheckpoint.HEIGHT, DemoCheckpoint.WIDTH);
            float[] px = image.array();
            for (int i = 0; i < px.length; i++) {
                px[i] = Math.clamp(px[i] * 0.5f, -1f, 1f);
            }
            Tensor latent = vae.encodeImage(image);
            assertEquals(Shape.of(48, 1, 16, 10), latent.shape());
            assertOrderOne(latent, "latent");
            Tensor pixels = vae.decode(latent);
            assertEquals(Shape.of(3, 1, DemoCheckpoint.HEIGHT, DemoCheckpoint.WIDTH), pixels.shape());
            assertOrderOne(pixels, "pixels");
        }
    }

    private static Tensor gaussian(Random random, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return t;
    }

    /** Finite everywhere, and an RMS between 0.01 and 100: neither dead nor blowing up. */
    private static void assertOrderOne(Tensor t, String what) {
        float[] a = t.toFloatArray();
        double sum = 0;
        for (float v : a) {
            assertTrue(Float.isFinite(v), what + " has a non-finite value");
            sum += (double) v * v;
        }
        double rms = Math.sqrt(sum / a.length);
        System.out.printf("demo %s: rms %.4f%n", what, rms);
        assertTrue(rms > 0.01 && rms < 100, what + " rms " + rms);
    }
}
