package chameleon.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.kvcache.KvRingBuffer;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions on the golden tiny DiT + VAE (real architecture, tiny widths) at 96×64 pixels: 6×4 latents,
 * 3×2 = 6 tokens per frame.
 */
class SessionTest {
    static final int W = 64, H = 96;
    static Engine engine;

    @BeforeAll
    static void open() {
        Path golden = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isDirectory(golden), "golden folder " + golden.toAbsolutePath()
                + " absent: session tests need its tiny DiT and VAE weights");
        engine = Engine.open(new Checkpoint(golden.resolve("dit.safetensors"), golden.resolve("vae.safetensors")),
                new CpuBackend());
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    static Tensor image(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[3 * H * W];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return Tensor.of(v, 3, 1, H, W);
    }

    static Tensor prompt() {
        SplittableRandom r = new SplittableRandom(5);
        float[] v = new float[16 * 64];
        for (int i = 0; i < 11 * 64; i++) { // rows 11.. stay zero, as the T5 wrapper pads
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(v, 16, 64);
    }

    static SessionOptions small() {
        return SessionOptions.defaults().withSize(W, H);
    }

    static Session open(long seed, long garment, SessionOptions o) {
        return engine.openSession(image(1), image(garment), prompt(), seed, o);
    }

    static void assertFinite(Tensor t) {
        for (float f : t.toFloatArray()) {
            assertTrue(Float.isFinite(f), "non-finite value");
        }
    }

    @Test
    void chunksHaveTheStreamingFrameCountsAndAreDeterministic() {
        try (Session a = open(7, 2, small()); Session b = open(7, 2, small())) {
            Tensor a0 = a.nextChunkPixels(), a1 = a.nextChunkPixels();
            Tensor b0 = b.nextChunkPixels(), b1 = b.nextChunkPixels();
            assertArrayEquals(new int[] {3, 9, H, W}, a0.shape().dims());
            assertArrayEquals(new int[] {3, 12, H, W}, a1.shape().dims());
            assertArrayEquals(a0.toFloatArray(), b0.toFloatArray());
            assertArrayEquals(a1.toFloatArray(), b1.toFloatArray());
            assertFinite(a1);
        }
        try (Session a = open(7, 2, small()); Session c = open(8, 2, small())) {
            assertFalse(java.util.Arrays.equals(a.nextChunkPixels().toFloatArray(), c.nextChunkPixels().toFloatArray()),
                    "another seed must give other frames");
        }
    }

    @Test
    void switchTakesEffectAtTheNextChunkAndRestartsTheDecoder() {
        try (Session s = open(3, 2, small())) {
            s.nextChunkPixels();
            s.switchGarment(image(9));
            assertTrue(s.switchPending());
            Tensor after = s.nextChunkPixels();
            assertFalse(s.switchPending());
            assertEquals(1, s.lastSwitchChunk());
            assertEquals(9, after.dim(1), "the decoder restarts: a first-chunk frame count");
            assertEquals(12, s.nextChunkPixels().dim(1));
            // The cache holds conditioning + two chunks again, at frames 2.. (positions restarted).
            assertEquals(8 * 6, s.cache().self(0).localEnd());
        }
    }

    @Test
    void refreshGarmentMatchesAFreshPrefillInTheSlotsItTouchesAndLeavesTheRest() {
        Tensor newGarment = image(11);
        try (Session a = open(3, 2, small()); Session fresh = open(3, 11, small())) {
            a.nextChunkPixels();
            KvRingBuffer kv = a.cache().self(1);
            float[] generatedBefore = rows(kv.keys(), 12, kv.localEnd());
            a.refreshGarment(engine.vae().encodeImage(newGarment));
            for (int layer = 0; layer < a.cache().layers(); layer++) {
                KvRingBuffer x = a.cache().self(layer), y = fresh.cache().self(layer);
                assertArrayEquals(rows(y.keys(), 0, 12), rows(x.keys(), 0, 12), "layer " + layer + " K slots");
                assertArrayEquals(rows(y.values(), 0, 12), rows(x.values(), 0, 12), "layer " + layer + " V slots");
            }
            assertArrayEquals(generatedBefore, rows(kv.keys(), 12, kv.localEnd()), "generated frames untouched");
        }
    }

    @Test
    void afterWithdrawTheOutputNoLongerDependsOnHistory() {
        Tensor frame = image(21);
        Tensor garment = engine.vae().encodeImage(image(22));
        try (Session a = open(3, 2, small()); Session b = open(4, 5, small())) {
            a.nextChunkPixels();
            a.nextChunkPixels();
            b.nextChunkPixels();
            for (Session s : new Session[] {a, b}) {
                s.withdrawHistory();
                s.disentangleReference(frame);
                s.refreshGarment(garment);
                s.restartDecoder();
                s.reseed(99);
            }
            assertArrayEquals(a.nextChunkPixels().toFloatArray(), b.nextChunkPixels().toFloatArray());
        }
    }

    @Test
    void disentangleUsesExactlyTheLastDecodedFrame() {
        try (Session s = open(3, 2, small())) {
            Tensor pixels = s.nextChunkPixels();
            s.disentangleReference();
            Tensor last = engine.backend().slice(pixels, 1, 8, 9);
            assertArrayEquals(engine.vae().encodeImage(last).toFloatArray(), s.referenceLatent().toFloatArray());
            assertNotEquals(0, s.referenceLatent().numel());
        }
    }

    @Test
    void longSessionWithSwitchesStaysFiniteWithAFixedCache() {
        SessionOptions o = small().withSwitchChoices(false, true, true, true); // positions keep growing
        try (Session s = open(3, 2, o)) {
            Tensor k0 = s.cache().self(0).keys();
            int frames = 0;
            for (int c = 0; c < 345; c++) { // 2 + 3·345 = 1037 RoPE frames: past the reference's 1024
                if (c % 10 == 9) {
                    s.switchGarment(image(100 + c));
                }
                Tensor p = s.nextChunkPixels();
                frames += p.dim(1);
                if (c % 50 == 0 || c == 344) {
                    assertFinite(p);
                }
            }
            assertSame(k0, s.cache().self(0).keys(), "the KV buffers are allocated once");
            assertTrue(frames > 345 * 9);
        }
    }

    @Test
    void twoSessionsInParallelGiveTheFramesTheyGiveAlone() throws Exception {
        float[][] alone = new float[2][];
        for (int i = 0; i < 2; i++) {
            try (Session s = open(10 + i, 2 + i, small())) {
                s.nextChunkPixels();
                alone[i] = s.nextChunkPixels().toFloatArray();
            }
        }
        float[][] together = new float[2][];
        Thread[] threads = new Thread[2];
        Throwable[] failure = new Throwable[1];
        for (int i = 0; i < 2; i++) {
            int k = i;
            threads[i] = new Thread(() -> {
                try (Session s = open(10 + k, 2 + k, small())) {
                    s.nextChunkPixels();
                    together[k] = s.nextChunkPixels().toFloatArray();
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(null, failure[0]);
        assertArrayEquals(alone[0], together[0]);
        assertArrayEquals(alone[1], together[1]);
    }

    @Test
    void badCallsAreNamedErrors() {
        Session s = open(3, 2, small());
        IllegalArgumentException wrongImage = assertThrows(IllegalArgumentException.class,
                () -> s.switchGarment(Tensor.zeros(3, 1, 32, 32)));
        assertTrue(wrongImage.getMessage().contains("garment image [3, 1, 32, 32] must be [3, 1, 96, 64]"),
                wrongImage.getMessage());
        s.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> s.switchGarment(image(4)));
        assertEquals("session is closed", closed.getMessage());
        assertThrows(IllegalStateException.class, s::nextChunkPixels);
        IllegalArgumentException prompt = assertThrows(IllegalArgumentException.class,
                () -> engine.openSession(image(1), image(2), Tensor.zeros(16, 32), 1, small()));
        assertTrue(prompt.getMessage().contains("prompt embedding [16, 32] must be [textLen, 64]"), prompt.getMessage());
    }

    private static float[] rows(Tensor t, int from, int to) {
        return t.rows(from, to).toFloatArray();
    }
}
