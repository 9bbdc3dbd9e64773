package chameleon.text;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.ModuleWeights;
import chameleon.weights.TensorArchive;
import java.util.ArrayList;
import java.util.List;

/**
 * The umT5 text encoder as Wan runs it ({@code T5Encoder.forward(ids, mask)} in {@code t5.py}): token
 * embedding, {@link T5Block}s, final RMS norm. Weights stay where the archive keeps them (memory-mapped
 * for safetensors and {@code .pth}); embedding rows are read one token at a time, so the 1 B-parameter
 * table is never copied to the heap.
 */
public final class UmT5Encoder {
    private final T5Config config;
    private final Backend backend;
    private final Tensor embedding; // [vocab, dim]
    private final Tensor finalNorm; // [dim]
    private final List<T5Block> blocks = new ArrayList<>();
    private final RelativePositionBuckets buckets;

    /** Binds the encoder to {@code archive}'s tensors (official state-dict names); the archive must stay open. */
    public UmT5Encoder(TensorArchive archive, T5Config config, Backend backend) {
        this.config = config;
        this.backend = backend;
        ModuleWeights w = new ModuleWeights(archive, "");
        embedding = w.tensor("token_embedding.weight", config.vocab(), config.dim());
        finalNorm = w.tensor("norm.weight", config.dim());
        for (int i = 0; i < config.layers(); i++) {
            blocks.add(new T5Block(w.child("blocks").child(i), config));
        }
        buckets = new RelativePositionBuckets(config.numBuckets(), config.maxDist());
    }

    public T5Config config() {
        return config;
    }

    /**
     * The embedding the DiT consumes: [textLen, dim], with the rows from {@code prompt.length()} on set to
     * exactly 0.0 as Wan's wrapper does (the DiT attends to all rows, so they must be zeros).
     *
     * <p>Only the kept tokens are computed: padded keys are masked out of every attention, so the real
     * rows do not depend on the padding rows, and the padding rows' own outputs are discarded. A
     * 20-token prompt costs 20 rows of work, not 512.
     */
    public Tensor encode(TokenizedPrompt prompt) {
        int kept = prompt.length();
        int[] ids = java.util.Arrays.copyOf(prompt.ids(), kept);
        int[] ones = new int[kept];
        java.util.Arrays.fill(ones, 1);
        Tensor real = encodeRaw(new TokenizedPrompt(ids, ones, kept)); // [kept, dim]
        Tensor out = Tensor.zeros(prompt.textLen(), config.dim());
        System.arraycopy(real.array(), real.arrayOffset(), out.array(), 0, kept * config.dim());
        return out;
    }

    /** {@code T5Encoder} output for every position, padding rows included: [textLen, dim]. */
    public Tensor encodeRaw(TokenizedPrompt prompt) {
        int len = prompt.textLen();
        int dim = config.dim();
        Tensor x = Tensor.zeros(len, dim);
        for (int t = 0; t < len; t++) {
            int id = prompt.ids()[t];
            if (id < 0 || id >= config.vocab()) {
                throw new IllegalArgumentException("token id " + id + " outside the embedding (" + config.vocab() + ")");
            }
            embedding.readFloats((long) id * dim, x.array(), x.arrayOffset() + t * dim, dim);
        }
        int[][] table = buckets.table(len);
        for (T5Block block : blocks) {
            block.forward(backend, x, table, prompt.mask());
        }
        return backend.rmsNorm(x, finalNorm, config.eps()).toF32();
    }
}
