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

    private Engine(TensorArchive ditWeights, TensorArchive vaeWeights, Backend backend) {
        this.ditWeights = ditWeights;
        this.vaeWeights = vaeWeights;
        this.backend = backend;
        this.dit = new CausalWanModel(ditWeights);
        this.vae = new WanVae(vaeWeights, backend);
        if (vae.config().zDim() != dit.config().inDim()) {
            throw new IllegalArgumentException(checkpointName() + ": VAE latents have " + vae.config().zDim()
                    + " channels, the DiT expects " + dit.config().inDim());
        }
    }

    /** Memory-maps both models and binds their weights (nothing else is read until used). */
    public static Engine open(Checkpoint checkpoint, Backend backend) {
        TensorArchive d = TensorArchive.open(checkpoint.dit());
        try {
            return new Engine(d, TensorArchive.open(checkpoint.vae()), backend);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
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

    /** Unmaps the checkpoints; sessions of this engine must be closed first. */
    @Override
    public void close() {
        try {
            ditWeights.close();
        } finally {
            vaeWeights.close();
        }
    }
}
