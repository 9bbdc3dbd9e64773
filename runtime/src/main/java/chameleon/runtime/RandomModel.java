package chameleon.runtime;

import chameleon.layers.vae.VaeConfig;
import chameleon.runtime.io.FrameSize;
import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.InMemoryArchive;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A model architecture built with deterministic random weights in memory ({@link RandomWeights}), no
 * files: {@code generate --random-weights NAME}. It runs every code path at the model's real shape and
 * cost, so it measures speed and memory; its frames are noise (nothing was trained).
 *
 * <p>The DiT is BF16 with std 0.02 (the weights GpuBench times, same seed), the VAE F32 (as
 * {@code Wan2.2_VAE.pth}) with 1/√fan_in, so its residual stacks stay finite in F32.
 *
 * @param name    what {@code --random-weights} takes
 * @param title   for messages
 * @param dit     the DiT's config
 * @param vae     the VAE's config
 * @param textLen rows of the prompt embedding (512 for the real model)
 * @param size    the default video size
 */
public record RandomModel(String name, String title, DitConfig dit, VaeConfig vae, int textLen, FrameSize size) {

    /** Seed of every random model's DiT: GpuBench's default seed, so both time the same weights. */
    public static final long DIT_SEED = 42;
    static final long VAE_SEED = 43;
    static final long PROMPT_SEED = 44;
    static final float DIT_STD = 0.02f;

    /** Wan2.2-TI2V-5B (DiT 30 × 3072, ≈ 5.0 B parameters; VAE ≈ 0.7 B) at 704×1280. */
    public static final RandomModel WAN22_TI2V_5B = new RandomModel("wan2.2-ti2v-5b", "Wan2.2-TI2V-5B",
            DitConfig.wan22Ti2v5b(), VaeConfig.wan22(), PromptEncoder.TEXT_LEN, FrameSize.DEFAULT);

    /** The embedded demo's architecture (a few MB) in memory: the same code path, for tests. */
    public static final RandomModel TINY = new RandomModel("tiny", "the tiny demo architecture",
            DemoCheckpoint.ditConfig(), DemoCheckpoint.vaeConfig(), DemoCheckpoint.TEXT_LEN,
            new FrameSize(DemoCheckpoint.WIDTH, DemoCheckpoint.HEIGHT));

    public static List<RandomModel> all() {
        return List.of(WAN22_TI2V_5B, TINY);
    }

    /** The model called {@code name}; the message lists the names there are. */
    public static RandomModel named(String name) {
        for (RandomModel m : all()) {
            if (m.name.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no random model \"" + name + "\"; there are: "
                + String.join(", ", all().stream().map(RandomModel::name).toList()));
    }

    /** The DiT's tensors ({@link DitConfig#expectedTensors()}), BF16, built now: ≈ 10 GB for the real model. */
    public InMemoryArchive ditWeights() {
        return ditWeights(n -> true);
    }

    /** The VAE's tensors ({@link VaeConfig#expectedTensors()}), F32, built now. */
    public InMemoryArchive vaeWeights() {
        return vaeWeights(n -> true);
    }

    /** The DiT tensors {@code which} accepts, with the values {@link #ditWeights()} gives them (tests at the real shape). */
    InMemoryArchive ditWeights(Predicate<String> which) {
        return RandomWeights.create("<random weights: " + name + " DiT>", only(dit.expectedTensors(), which), DIT_SEED,
                DType.BF16, RandomWeights.Scale.fixed(DIT_STD));
    }

    /** The VAE tensors {@code which} accepts, with the values {@link #vaeWeights()} gives them. */
    InMemoryArchive vaeWeights(Predicate<String> which) {
        return RandomWeights.create("<random weights: " + name + " VAE>", only(vae.expectedTensors(), which), VAE_SEED,
                DType.F32, RandomWeights.Scale.fanIn());
    }

    private static Map<String, Shape> only(Map<String, Shape> tensors, Predicate<String> which) {
        Map<String, Shape> kept = new LinkedHashMap<>();
        tensors.forEach((name, shape) -> {
            if (which.test(name)) {
                kept.put(name, shape);
            }
        });
        return kept;
    }

    /** [textLen, textDim] F32, uniform with std 1: stands in for a umT5 output (every row used). */
    public Tensor promptEmbedding() {
        return RandomWeights.uniform("prompt_embeds", Shape.of(textLen, dit.textDim()), PROMPT_SEED, DType.F32, 1.0);
    }

    /** Parameters of the DiT. */
    public long ditParameters() {
        return parameters(dit.expectedTensors());
    }

    /** Parameters of the VAE. */
    public long vaeParameters() {
        return parameters(vae.expectedTensors());
    }

    /**
     * The heap a session at {@code options}' size and window needs with these weights.
     *
     * @param kvCacheOnHost false when the backend keeps the self-attention KV cache on its device (a
     *                      device-resident DiT forward)
     */
    public HeapEstimate heapNeed(SessionOptions options, boolean kvCacheOnHost) {
        long tokensPerFrame = (long) (options.height() / vae.spatialStride() / dit.patch().h())
                * (options.width() / vae.spatialStride() / dit.patch().w());
        long kv = kvCacheOnHost ? (long) dit.numLayers() * options.windowFrames() * tokensPerFrame * dit.dim() * 2 * 4 : 0;
        long prompt = (long) textLen * (dit.textDim() + (long) dit.dim() * (1 + 2L * dit.numLayers())) * 4;
        int[] decoder = vae.decoderDims();
        // one F32 volume of the decoder's last stage: 4 bytes × 4 frames (a latent frame's) × width × (H/2)·(W/2)
        long lastStage = 4L * vae.temporalStride() * decoder[decoder.length - 1]
                * (options.height() / 2) * (options.width() / 2);
        return new HeapEstimate(ditParameters() * 2, vaeParameters() * 4, prompt, kv, 10 * lastStage);
    }

    private static long parameters(Map<String, Shape> tensors) {
        long n = 0;
        for (Shape s : tensors.values()) {
            n += s.numel();
        }
        return n;
    }
}
