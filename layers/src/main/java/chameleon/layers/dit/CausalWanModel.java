package chameleon.layers.dit;

import chameleon.attention.Rope3d;
import chameleon.kvcache.CrossAttentionCache;
import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvPlacement;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.ModuleWeights;
import chameleon.weights.TensorArchive;
import java.util.ArrayList;
import java.util.List;

/**
 * The causal Wan2.2 DiT ({@code CausalWan22Model}, inference path): patch embedding, per-frame time
 * embedding, 30 blocks over the KV cache, head and unpatchify (MODEL.md §2.3). Weights stay in the
 * archive (memory-mapped, checkpoint dtype); tensors the model does not use are never read.
 */
public final class CausalWanModel {
    private final DitConfig config;
    private final PatchEmbedding patchEmbedding;
    private final TimeEmbedding timeEmbedding;
    private final TextEmbedding textEmbedding;
    private final List<WanAttentionBlock> blocks;
    private final Head head;
    private final Rope3d rope;

    /** Binds the weights of {@code archive} (validated against the inferred config). */
    public CausalWanModel(TensorArchive archive) {
        this(archive, DitConfig.infer(archive));
    }

    public CausalWanModel(TensorArchive archive, DitConfig config) {
        config.validate(archive);
        this.config = config;
        ModuleWeights root = new ModuleWeights(archive, "");
        this.patchEmbedding = new PatchEmbedding(root.child("patch_embedding"), config);
        this.timeEmbedding = new TimeEmbedding(root, config);
        this.textEmbedding = new TextEmbedding(root.child("text_embedding"), config);
        this.blocks = new ArrayList<>(config.numLayers());
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(new WanAttentionBlock(root.child("blocks").child(i), config));
        }
        this.head = new Head(root.child("head"), config);
        this.rope = new Rope3d(config.headDim());
    }

    public DitConfig config() {
        return config;
    }

    public PatchEmbedding patchEmbedding() {
        return patchEmbedding;
    }

    public TimeEmbedding timeEmbedding() {
        return timeEmbedding;
    }

    /** {@code blocks.0 …}, in order. */
    public List<WanAttentionBlock> blocks() {
        return List.copyOf(blocks);
    }

    public Head head() {
        return head;
    }

    public Rope3d rope() {
        return rope;
    }

    /** DiT tokens of one latent frame of {@code height × width} latent pixels. */
    public int tokensPerFrame(int height, int width) {
        return (height / config.patch().h()) * (width / config.patch().w());
    }

    /** {@code text_embedding} of a prompt embedding: [textLen, textDim] → [textLen, dim]. Once per prompt. */
    public Tensor embedText(Backend backend, Tensor promptEmbedding) {
        return textEmbedding.forward(backend, promptEmbedding);
    }

    /**
     * {@link #embedText} and every block's cross-attention K/V of the result: all the DiT ever computes
     * from a prompt, once. The same operations as the lazy first forward, so the values are identical.
     *
     * @param promptEmbedding [textLen, textDim] umT5 output with zero padding rows
     */
    public TextConditioning prepareText(Backend backend, Tensor promptEmbedding) {
        Tensor context = embedText(backend, promptEmbedding);
        List<CrossAttentionCache> kv = new ArrayList<>(blocks.size());
        for (WanAttentionBlock block : blocks) {
            CrossAttentionCache c = new CrossAttentionCache();
            block.projectText(backend, context, c);
            kv.add(c);
        }
        return new TextConditioning(context, kv);
    }

    /**
     * One forward over {@code F} latent frames whose first frame has absolute temporal index
     * {@code startFrame}; writes their K/V into {@code cache} (append or in-place repeat, §2.6).
     *
     * @param latents    [inDim, F, H, W]
     * @param timesteps  [F] network timestep per frame (bf16-rounded as the pipeline feeds it)
     * @param context    [textLen, dim] from {@link #embedText}
     * @return [outDim, F, H, W] predicted flow velocity
     */
    public Tensor forward(Backend backend, Tensor latents, long[] timesteps, int startFrame, Tensor context,
                          KvCache cache, ActivationProbe probe) {
        int tokensPerFrame = tokensPerFrame(latents.dim(2), latents.dim(3));
        return forward(backend, latents, timesteps, startFrame, new KvPlacement.Stream(startFrame * tokensPerFrame),
                context, cache, probe);
    }

    /** The token grid of a forward's latents: frames × rows × cols after patching. */
    public record TokenGrid(int frames, int rows, int cols) {
        public int tokensPerFrame() {
            return rows * cols;
        }

        public int tokens() {
            return frames * rows * cols;
        }
    }

    /**
     * The token grid of {@code latents} [inDim, F, H, W], checked against one timestep per frame and a cache
     * with this model's layers sized for this many tokens per frame (any forward, host or device, checks so).
     */
    public TokenGrid tokenGrid(Tensor latents, long[] timesteps, KvCache cache) {
        int frames = latents.dim(1), height = latents.dim(2), width = latents.dim(3);
        if (timesteps.length != frames) {
            throw new IllegalArgumentException(timesteps.length + " timesteps for " + frames + " latent frames");
        }
        if (cache.layers() != blocks.size()) {
            throw new IllegalArgumentException("KV cache has " + cache.layers() + " layers, model " + blocks.size());
        }
        TokenGrid grid = new TokenGrid(frames / config.patch().t(), height / config.patch().h(), width / config.patch().w());
        if (cache.geometry().tokensPerFrame() != grid.tokensPerFrame()) {
            throw new IllegalArgumentException("KV cache sized for " + cache.geometry().tokensPerFrame()
                    + " tokens per frame, latents give " + grid.tokensPerFrame());
        }
        return grid;
    }

    /**
     * The general forward: {@code ropeStartFrame} is the temporal RoPE index of the first frame and
     * {@code placement} says where the K/V go (they differ after a garment switch that restarts
     * positions, and for slot rewrites of the conditioning frames).
     */
    public Tensor forward(Backend backend, Tensor latents, long[] timesteps, int ropeStartFrame,
                          KvPlacement placement, Tensor context, KvCache cache, ActivationProbe probe) {
        int startFrame = ropeStartFrame;
        TokenGrid grid = tokenGrid(latents, timesteps, cache);
        int gridF = grid.frames(), gridH = grid.rows(), gridW = grid.cols();

        Tensor x = patchEmbedding.forward(backend, latents); // [tokens, dim]
        probe.record("patch_embed", x);
        TimeEmbedding.Embeddings t = timeEmbedding.forward(backend, timesteps);
        probe.record("time_e", t.e());
        probe.record("time_e0", t.e0());
        probe.record("text_ctx", context);
        Tensor[] table = rope.tables(startFrame, gridF, gridH, gridW);
        for (int i = 0; i < blocks.size(); i++) {
            blocks.get(i).forward(backend, x, t.e0(), table[0], table[1], context, cache.self(i), cache.cross(i),
                    placement);
            probe.record("block" + i + "_out", x);
        }
        Tensor out = head.forward(backend, x, t.e());
        probe.record("head_out", out);
        return head.unpatchify(out, gridF, gridH, gridW);
    }
}
