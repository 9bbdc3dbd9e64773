package chameleon.layers.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.DitConfig;
import chameleon.weights.InMemoryArchive;
import chameleon.weights.ModuleWeights;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TimeEmbedding.Memo}: a chunk's repeated timestep vectors are computed once, the kept results are
 * bit-identical to a fresh {@link TimeEmbedding#forward}, and the least recently used vector is evicted.
 */
class TimeEmbeddingMemoTest {
    private static final int DIM = 32;
    private static final int FREQ = 16;

    private static TimeEmbedding randomEmbedding() {
        Random r = new Random(7);
        InMemoryArchive a = new InMemoryArchive("memory");
        put(a, r, "time_embedding.0", DIM, FREQ);
        put(a, r, "time_embedding.2", DIM, DIM);
        put(a, r, "time_projection.1", 6 * DIM, DIM);
        DitConfig base = DitConfig.wan22Ti2v5b();
        DitConfig cfg = new DitConfig(DIM, 64, 2, 16, 1, base.inDim(), base.outDim(), base.patch(), 8, FREQ, base.eps(),
                true, true);
        return new TimeEmbedding(new ModuleWeights(a, ""), cfg);
    }

    private static void put(InMemoryArchive a, Random r, String name, int out, int in) {
        float[] w = new float[out * in];
        float[] b = new float[out];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 0.1f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian() * 0.1f;
        }
        a.put(name + ".weight", Tensor.of(w, out, in)).put(name + ".bias", Tensor.of(b, out));
    }

    @Test
    void aChunksRepeatedTimestepsAreComputedOnceAndBitIdentical() {
        TimeEmbedding te = randomEmbedding();
        CpuBackend cpu = new CpuBackend();
        TimeEmbedding.Memo memo = new TimeEmbedding.Memo(te, cpu, 8);
        long[][] steps = {{1000, 1000, 1000}, {936, 936, 936}, {832, 832, 832}, {624, 624, 624}, {0, 0, 0}};
        for (int chunk = 0; chunk < 3; chunk++) {
            for (long[] t : steps) {
                TimeEmbedding.Embeddings got = memo.get(t);
                TimeEmbedding.Embeddings fresh = te.forward(cpu, t);
                assertArrayEquals(fresh.e().toFloatArray(), got.e().toFloatArray(), "e of " + t[0] + ", chunk " + chunk);
                assertArrayEquals(fresh.e0().toFloatArray(), got.e0().toFloatArray(), "e0 of " + t[0] + ", chunk " + chunk);
                assertEquals(fresh.e0().shape(), got.e0().shape());
            }
        }
        assertEquals(steps.length, memo.computed(), "one evaluation per distinct timestep vector over 3 chunks");
        // the vector is the key, not its first value: per-frame timesteps that differ are another entry
        memo.get(new long[] {1000, 1000, 936});
        assertEquals(steps.length + 1, memo.computed());
    }

    @Test
    void theLeastRecentlyUsedVectorIsEvicted() {
        TimeEmbedding te = randomEmbedding();
        TimeEmbedding.Memo memo = new TimeEmbedding.Memo(te, new CpuBackend(), 2);
        TimeEmbedding.Embeddings a = memo.get(new long[] {1});
        memo.get(new long[] {2});
        assertSame(a, memo.get(new long[] {1}), "a hit returns the kept tensors");   // order now 2, 1
        memo.get(new long[] {3});                                                     // evicts 2
        assertEquals(3, memo.computed());
        assertSame(a, memo.get(new long[] {1}));
        memo.get(new long[] {2});
        assertEquals(4, memo.computed(), "2 was evicted and is computed again");
    }
}
