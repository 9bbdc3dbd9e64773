package chameleon.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvCacheGeometry;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.TextConditioning;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.DitConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's per-prompt cache on the demo model with the demo text encoder, at 96×64 pixels (3×2 = 6
 * tokens per latent frame: prefill 12 rows, chunks 18 rows), so a {@code linear} over 16 rows is the
 * prompt's (text_embedding and the cross-attention K/V projections): nothing else in the DiT or the VAE
 * has 16 rows.
 */
class PromptCacheTest {
    static final int W = 64, H = 96, TEXT_LEN = DemoCheckpoint.TEXT_LEN;
    static final String TEXT = "a woman wearing a red striped shirt";
    static final int LAYERS = DemoCheckpoint.ditConfig().numLayers();
    /** Backend linear calls of one encode: per block q, k, v, o, gate, fc1, fc2 (the attention core runs on the host). */
    static final int ENCODER_LINEARS = DemoTextEncoder.CONFIG.layers() * 7;
    /** text_embedding's two linears, then k and v of every block. */
    static final int PROMPT_LINEARS = 2 + 2 * LAYERS;

    @TempDir
    static Path tmp;
    static Checkpoint checkpoint;

    @BeforeAll
    static void demo() {
        DemoCheckpoint d = DemoCheckpoint.ensure(tmp.resolve("demo"));
        checkpoint = new Checkpoint(d.dit(), d.vae());
    }

    static SessionOptions small() {
        return SessionOptions.defaults().withSize(W, H);
    }

    static Tensor image(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[3 * H * W];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return Tensor.of(v, 3, 1, H, W);
    }

    static List<float[]> chunks(Session s, int n) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.nextChunkPixels().toFloatArray());
        }
        return out;
    }

    static void assertSameFrames(List<float[]> a, List<float[]> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), "chunk " + (i + 1) + " differs");
        }
    }

    @Test
    void aSecondSessionWithTheSamePromptRunsNeitherTheEncoderNorTheProjectionsAndMatchesAnUncachedRun() {
        CountingBackend encoder = new CountingBackend(), dit = new CountingBackend();
        List<float[]> first, second, uncached;
        try (Engine engine = Engine.open(checkpoint, dit, DemoTextEncoder.open(TEXT_LEN, encoder), 4)) {
            PreparedPrompt p = engine.prompt(TEXT);
            assertEquals(ENCODER_LINEARS, encoder.linears());
            assertEquals(PROMPT_LINEARS, dit.linears(TEXT_LEN));
            try (Session s = engine.openSession(image(1), image(2), p, 7, small())) {
                first = chunks(s, 2);
            }
            assertEquals(PROMPT_LINEARS, dit.linears(TEXT_LEN), "a session must not project the prompt again");

            PreparedPrompt again = engine.prompt(TEXT);
            assertSame(p, again);
            try (Session s = engine.openSession(image(1), image(2), again, 7, small())) {
                second = chunks(s, 2);
            }
            assertEquals(ENCODER_LINEARS, encoder.linears(), "the cached prompt ran the encoder again");
            assertEquals(PROMPT_LINEARS, dit.linears(TEXT_LEN), "the cached prompt ran the K/V projections again");
        }
        assertSameFrames(first, second);

        CountingBackend encoder0 = new CountingBackend(), dit0 = new CountingBackend();
        try (Engine engine = Engine.open(checkpoint, dit0, DemoTextEncoder.open(TEXT_LEN, encoder0), 0)) {
            PreparedPrompt p = engine.prompt(TEXT);
            PreparedPrompt q = engine.prompt(TEXT);
            assertNotSame(p, q);
            assertEquals(2 * ENCODER_LINEARS, encoder0.linears(), "without a cache every request encodes");
            assertEquals(2 * PROMPT_LINEARS, dit0.linears(TEXT_LEN));
            assertArrayEquals(p.embedding().toFloatArray(), q.embedding().toFloatArray());
            try (Session s = engine.openSession(image(1), image(2), q, 7, small())) {
                uncached = chunks(s, 2);
            }
        }
        assertSameFrames(first, uncached);
    }

    @Test
    void preparedKvEqualTheLazyFirstForwardBitForBit() {
        try (Engine engine = Engine.open(checkpoint, new CpuBackend(), DemoTextEncoder.open(TEXT_LEN, new CpuBackend()), 4)) {
            PreparedPrompt p = engine.prompt(TEXT);
            DitConfig cfg = engine.dit().config();
            KvCache lazy = new KvCache(new KvCacheGeometry(6, 4, 1, 4), cfg.numLayers(), cfg.numHeads(), cfg.headDim());
            TextConditioning c = p.conditioning();
            assertArrayEquals(engine.dit().embedText(engine.backend(), p.embedding()).toFloatArray(),
                    c.context().toFloatArray());
            engine.dit().forward(engine.backend(), Tensor.zeros(cfg.inDim(), 1, 6, 4), new long[1], 0, c.context(),
                    lazy, ActivationProbe.NONE);
            for (int i = 0; i < cfg.numLayers(); i++) {
                assertArrayEquals(lazy.cross(i).keys().toFloatArray(), c.crossKv().get(i).keys().toFloatArray());
                assertArrayEquals(lazy.cross(i).values().toFloatArray(), c.crossKv().get(i).values().toFloatArray());
            }
        }
    }

    @Test
    void cacheIsLeastRecentlyUsedAndKeyedByContent() {
        CountingBackend encoder = new CountingBackend();
        try (Engine engine = Engine.open(checkpoint, new CpuBackend(), DemoTextEncoder.open(TEXT_LEN, encoder), 2)) {
            PreparedPrompt a = engine.prompt("a red dress");
            engine.prompt("a blue coat");
            assertSame(a, engine.prompt("a red dress"));                 // a is now the most recent
            engine.prompt("a green hat");                                // evicts the blue coat
            assertEquals(3 * ENCODER_LINEARS, encoder.linears());
            assertSame(a, engine.prompt("a red dress"));
            engine.prompt("a blue coat");
            assertEquals(4 * ENCODER_LINEARS, encoder.linears(), "the evicted prompt is encoded again");

            // The same embedding handed in as a tensor is the same entry: no projection, same K/V.
            PreparedPrompt fromTensor = engine.prompt(a.embedding().copy());
            assertSame(a, fromTensor);
            assertEquals(a.digest(), PromptCache.digest(a.embedding().copy()));
        }
    }

    @Test
    void longPromptsAreTruncatedAsWanTruncatesThemAndPaddingRowsAreZero() {
        try (Engine engine = Engine.open(checkpoint, new CpuBackend(), DemoTextEncoder.open(TEXT_LEN, new CpuBackend()), 4)) {
            PreparedPrompt shortOne = engine.prompt("a man");
            assertEquals(3, shortOne.tokens()); // ▁a ▁man </s>
            assertEquals(3, shortOne.kept());
            assertFalse(shortOne.truncated());
            float[] e = shortOne.embedding().toFloatArray();
            int dim = DemoTextEncoder.CONFIG.dim();
            for (int i = 3 * dim; i < e.length; i++) {
                assertEquals(0f, e[i], "padding row " + i / dim);
            }
            String text = "a woman wearing a red striped shirt and a blue denim jacket turns to the camera slowly"
                    + " in the studio light";
            PreparedPrompt longOne = engine.prompt(text);
            assertEquals(22, longOne.tokens()); // 21 words + EOS
            assertEquals(TEXT_LEN, longOne.kept());
            assertTrue(longOne.truncated());
            assertEquals(text, longOne.label());
        }
    }

    @Test
    void aPromptSwitchTakesEffectAtTheNextChunkAndRefreshesTheConditioningSlots() {
        try (Engine engine = Engine.open(checkpoint, new CpuBackend(), DemoTextEncoder.open(TEXT_LEN, new CpuBackend()), 4)) {
            PreparedPrompt red = engine.prompt("a red dress"), blue = engine.prompt("a blue coat");
            List<float[]> kept, switched;
            try (Session s = engine.openSession(image(1), image(2), red, 7, small());
                 Session fresh = engine.openSession(image(1), image(2), blue, 7, small())) {
                chunks(s, 2);
                s.switchPrompt(blue);
                assertTrue(s.promptPending());
                assertSame(red, s.prompt(), "the pending prompt is not in effect yet");
                switched = chunks(s, 1);
                assertFalse(s.promptPending());
                assertSame(blue, s.prompt());
                assertEquals(2, s.lastPromptChunk());
                int rows = 2 * 6;   // both conditioning frames
                for (int i = 0; i < LAYERS; i++) {
                    float[] a = s.cache().self(i).keys().rows(0, rows).toFloatArray();
                    float[] b = fresh.cache().self(i).keys().rows(0, rows).toFloatArray();
                    assertArrayEquals(b, a, "layer " + i + ": conditioning slots after the switch");
                    assertSame(blue.conditioning().crossKv().get(i).keys(), s.cache().cross(i).keys());
                }
            }
            try (Session s = engine.openSession(image(1), image(2), red, 7, small())) {
                kept = chunks(s, 3).subList(2, 3);
            }
            assertFalse(java.util.Arrays.equals(kept.get(0), switched.get(0)), "the new prompt changed nothing");
        }
    }

    @Test
    void anEngineWithoutATextEncoderSaysSo() {
        try (Engine engine = Engine.open(checkpoint, new CpuBackend())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.prompt("a red dress"));
            assertTrue(e.getMessage().contains("no text encoder"), e.getMessage());
            assertFalse(engine.hasTextEncoder());
        }
    }
}
