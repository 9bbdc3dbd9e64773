package chameleon.runtime;

import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;

/**
 * A loaded FashionChameleon checkpoint (DiT + Wan2.2 VAE) on one {@link Backend}. The weights are
 * immutable once bound, so one engine serves any number of {@link Session}s, from any threads; each
 * session owns its KV cache, decoder cache and noise.
 *
 * <pre>{@code
 * try (Engine engine = Engine.open(Checkpoint.locate(dir), new CpuBackend());
 *      Session s = engine.openSession(reference, garment, prompt, 42, SessionOptions.defaults())) {
 *     Frames first = s.nextChunk();        // 9 frames
 *     s.switchGarment(otherGarment);       // takes effect at the next chunk
 *     Frames next = s.nextChunk();         // the new garment
 * }
 * }</pre>
 */
public final class Engine implements AutoCloseable {
    private final TensorArchive ditWeights;
    private final TensorArchive vaeWeights;
    private final CausalWanModel dit;
    private final WanVae vae;
    private final Backend backend;
    private final PromptEncoder textEncoder; // null: prompts come as embeddings only
    private final PromptCache prompts;

    /** Prompts an engine keeps prepared by default (≈ 392 MB each at the real shape; see {@link #open}). */
    public static final int DEFAULT_PROMPT_CACHE = 4;

    private Engine(TensorArchive ditWeights, TensorArchive vaeWeights, Backend backend, PromptEncoder textEncoder,
                   int promptCacheEntries) {
        this.ditWeights = ditWeights;
        this.vaeWeights = vaeWeights;
        this.backend = backend;
        this.textEncoder = textEncoder;
        this.prompts = new PromptCache(promptCacheEntries);
        this.dit = new CausalWanModel(ditWeights);
        this.vae = new WanVae(vaeWeights, backend);
        if (vae.config().zDim() != dit.config().inDim()) {
            throw new IllegalArgumentException(checkpointName() + ": VAE latents have " + vae.config().zDim()
                    + " channels, the DiT expects " + dit.config().inDim());
        }
        if (textEncoder != null && textEncoder.dim() != dit.config().textDim()) {
            throw new IllegalArgumentException("the text encoder's width " + textEncoder.dim()
                    + " does not match the DiT's text_dim " + dit.config().textDim() + " (" + ditWeights.source() + ")");
        }
    }

    /**
     * Memory-maps both models and binds their weights (nothing else is read until used); no text encoder,
     * the default prompt cache.
     */
    public static Engine open(Checkpoint checkpoint, Backend backend) {
        return open(checkpoint, backend, null, DEFAULT_PROMPT_CACHE);
    }

    /**
     * An engine over weights already open or in memory (e.g. {@link RandomModel#ditWeights()}), owned by
     * the engine from here on (closed with it); no text encoder, the default prompt cache.
     */
    public static Engine open(TensorArchive ditWeights, TensorArchive vaeWeights, Backend backend) {
        try {
            return new Engine(ditWeights, vaeWeights, backend, null, DEFAULT_PROMPT_CACHE);
        } catch (RuntimeException e) {
            ditWeights.close();
            vaeWeights.close();
            throw e;
        }
    }

    /**
     * {@link #open(Checkpoint, Backend)} with a text encoder, so {@link #prompt(String)} takes text, and a
     * chosen prompt cache size.
     *
     * @param textEncoder        owned by the engine from here on (closed with it), or null
     * @param promptCacheEntries prompts kept prepared, least recently used dropped first; each holds its
     *                           embedding, context and per-block cross-attention K/V:
     *                           {@code textLen × (textDim + dim·(1 + 2·layers)) × 4} bytes (≈ 392 MB for
     *                           Wan2.2-TI2V-5B, 86 KB for the demo); 0 keeps none
     */
    public static Engine open(Checkpoint checkpoint, Backend backend, PromptEncoder textEncoder,
                              int promptCacheEntries) {
        TensorArchive d = null;
        try {
            d = TensorArchive.open(checkpoint.dit());
            return new Engine(d, TensorArchive.open(checkpoint.vae()), backend, textEncoder, promptCacheEntries);
        } catch (RuntimeException e) {
            if (d != null) {
                d.close();
            }
            if (textEncoder != null) {
                textEncoder.close();
            }
            throw e;
        }
    }

    /** True when this engine was opened with a text encoder ({@link #prompt(String)} works). */
    public boolean hasTextEncoder() {
        return textEncoder != null;
    }

    /** Rows of every text prompt's embedding (the encoder's text length), or −1 without a text encoder. */
    public int textLen() {
        return textEncoder == null ? -1 : textEncoder.textLen();
    }

    /**
     * The prepared prompt of {@code text}: tokenised and encoded with umT5 in the JVM, then projected to
     * the DiT's context and cross-attention K/V, unless the engine's cache holds it already (then neither
     * the encoder nor the projections run). A text longer than the text length is truncated exactly as
     * Wan's tokenizer wrapper truncates it ({@link PreparedPrompt#truncated()} tells).
     *
     * @throws IllegalStateException when the engine has no text encoder
     */
    public PreparedPrompt prompt(String text) {
        if (text == null) {
            throw new IllegalArgumentException("prompt text is null");
        }
        if (textEncoder == null) {
            throw new IllegalStateException("this engine has no text encoder: open it with one (a umT5 checkpoint"
                    + " and tokenizer folder) to use text prompts, or pass a precomputed embedding");
        }
        return prompts.text(text, t -> {
            var tokens = textEncoder.tokenize(t);
            return new PromptCache.Encoded(textEncoder.encode(tokens), textEncoder.tokenCount(t), tokens.length());
        }, e -> dit.prepareText(backend, e));
    }

    /**
     * The prepared prompt of a precomputed embedding (cached by content: equal embeddings share one entry).
     *
     * @param embedding [textLen, textDim] umT5 output with zero padding rows
     */
    public PreparedPrompt prompt(Tensor embedding) {
        int textDim = dit.config().textDim();
        if (embedding.shape().rank() != 2 || embedding.dim(1) != textDim) {
            throw new IllegalArgumentException("prompt embedding " + embedding.shape() + " must be [textLen, "
                    + textDim + "]");
        }
        return prompts.embedding(embedding.toF32(), e -> dit.prepareText(backend, e));
    }

    /**
     * Opens a session: encodes both images, embeds the prompt and prefills the KV cache.
     *
     * @param reference [3, 1, H, W] person photo in [−1, 1], already fitted to the video size
     * @param garment   [3, 1, H, W] garment photo in [−1, 1], already padded to the video size
     * @param prompt    [textLen, textDim] prompt embedding (umT5 output with zero padding rows)
     * @param seed      seeds all the session's noise: same seed and inputs, same frames
     */
    public Session openSession(Tensor reference, Tensor garment, Tensor prompt, long seed, SessionOptions options) {
        return openSession(reference, garment, prompt(prompt), seed, options);
    }

    /** {@link #openSession(Tensor, Tensor, Tensor, long, SessionOptions)} with a prompt from {@link #prompt}. */
    public Session openSession(Tensor reference, Tensor garment, PreparedPrompt prompt, long seed,
                               SessionOptions options) {
        return new Session(this, reference, garment, prompt, seed, options);
    }

    public CausalWanModel dit() {
        return dit;
    }

    public WanVae vae() {
        return vae;
    }

    public Backend backend() {
        return backend;
    }

    private String checkpointName() {
        return ditWeights.source() + " + " + vaeWeights.source();
    }

    /** Unmaps the checkpoints (and the text encoder's); sessions of this engine must be closed first. */
    @Override
    public void close() {
        try {
            ditWeights.close();
        } finally {
            try {
                vaeWeights.close();
            } finally {
                if (textEncoder != null) {
                    textEncoder.close();
                }
            }
        }
    }
}
