package chameleon.layers.dit;

import chameleon.tensor.Backend;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.ModuleWeights;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code time_embedding} (Linear → SiLU → Linear) and {@code time_projection} (SiLU → Linear to 6·dim)
 * of the per-frame timesteps. Wan2.2 evaluates them per token; every token of a frame shares its
 * timestep, so one row per frame gives the identical result at a fraction of the cost.
 */
public final class TimeEmbedding {
    private final Linear embed0;     // time_embedding.0 [dim, freq]
    private final Linear embed2;     // time_embedding.2 [dim, dim]
    private final Linear projection; // time_projection.1 [6·dim, dim]
    private final int freqDim;
    private final int dim;

    /** Per-frame outputs: {@code e} feeds the head, {@code e0} the blocks' modulation. */
    public record Embeddings(Tensor e /* [F, dim] */, Tensor e0 /* [F, 6, dim] */) {
    }

    public TimeEmbedding(ModuleWeights root, DitConfig cfg) {
        this.dim = cfg.dim();
        this.freqDim = cfg.freqDim();
        this.embed0 = root.child("time_embedding").linear("0", dim, freqDim);
        this.embed2 = root.child("time_embedding").linear("2", dim, dim);
        this.projection = root.child("time_projection").linear("1", 6 * dim, dim);
    }

    /** @param timesteps one network timestep per frame (already rounded as the pipeline feeds it) */
    public Embeddings forward(Backend backend, long[] timesteps) {
        Tensor e = embed0.apply(backend, sinusoid(timesteps, freqDim));
        backend.silu(e);
        e = embed2.apply(backend, e);
        Tensor act = e.copy();
        backend.silu(act);
        Tensor e0 = projection.apply(backend, act).reshape(timesteps.length, 6, dim);
        return new Embeddings(e, e0);
    }

    /**
     * {@link #forward} results kept by timestep vector, least recently used evicted. A chunk's denoising steps
     * and its clean pass ask for the same few vectors chunk after chunk (e.g. {1000, 1000, 1000} … {0, 0, 0}), and
     * each evaluation is three GEMVs op by op on the backend ({@code time_projection.1} alone is [6·dim, dim]):
     * ~9 ms a forward at dim 3072 on the TornadoVM backend. A hit returns the same tensors as the miss that
     * computed them (bit-identical to a fresh {@link #forward}); callers must not write into them.
     */
    public static final class Memo {
        private final TimeEmbedding embedding;
        private final Backend backend;
        private final Map<List<Long>, Embeddings> entries;
        private long computed;

        /** @param capacity timestep vectors kept (a chunk uses one per step plus the clean pass) */
        public Memo(TimeEmbedding embedding, Backend backend, int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("memo capacity must be at least 1, got " + capacity);
            }
            this.embedding = embedding;
            this.backend = backend;
            this.entries = new LinkedHashMap<>(2 * capacity, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<List<Long>, Embeddings> eldest) {
                    return size() > capacity;
                }
            };
        }

        /** {@link TimeEmbedding#forward}{@code (backend, timesteps)}, computed only for a vector not kept. */
        public Embeddings get(long[] timesteps) {
            List<Long> key = Arrays.stream(timesteps).boxed().toList();
            Embeddings e = entries.get(key);
            if (e == null) {
                e = embedding.forward(backend, timesteps);
                computed++;
                entries.put(key, e);
            }
            return e;
        }

        /** How many times {@link #get} computed (missed) since construction. */
        public long computed() {
            return computed;
        }
    }

    /**
     * {@code sinusoidal_embedding_1d}: [cos(t·ω_i), sin(t·ω_i)], ω_i = 10000^(−i/half), cos half first,
     * computed in float64 and rounded to float32.
     *
     * @return [timesteps, freqDim]
     */
    static Tensor sinusoid(long[] timesteps, int freqDim) {
        int half = freqDim / 2;
        float[] out = new float[timesteps.length * freqDim];
        for (int r = 0; r < timesteps.length; r++) {
            double t = timesteps[r];
            for (int i = 0; i < half; i++) {
                double angle = t * StrictMath.pow(10000.0, -(double) i / half);
                out[r * freqDim + i] = (float) StrictMath.cos(angle);
                out[r * freqDim + half + i] = (float) StrictMath.sin(angle);
            }
        }
        return Tensor.of(out, timesteps.length, freqDim);
    }
}
