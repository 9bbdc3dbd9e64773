package chameleon.runtime;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvCacheGeometry;
import chameleon.kvcache.KvPlacement;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.vae.VaeDecoderStream;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * One interactive video stream: a person, a garment, a prompt and a seed in; chunks of decoded frames
 * out, with garment switches at chunk boundaries (paper §3.3, MODEL.md §1.7–1.8, §2.8).
 *
 * <p>KV-cache layout (rows of every layer's ring buffer, T = tokens per latent frame): the reference
 * slot [0, T) at RoPE frame 0, the garment slot [T, 2T) at frame 1, then the generated frames; the
 * first generated chunk stays as the attention sink, later ones roll through the window. A switch
 * withdraws the history, re-encodes the last shown frame as the new reference and prefills both
 * slots with the new garment, so the next chunk is generated like the first chunk of a fresh I2V
 * video whose first frame continues the motion.
 *
 * <p>Not thread-safe for concurrent calls on one session (methods are synchronized); sessions are
 * independent of each other.
 */
public final class Session implements AutoCloseable {
    private static final int REFERENCE_FRAME = 0;
    private static final int GARMENT_FRAME = 1;
    private static final int CONDITIONING_FRAMES = 2;

    private final CausalWanModel dit;
    private final WanVae vae;
    private final Backend backend;
    private final SessionOptions options;
    private final ChunkDenoiser denoiser;
    private RandomGenerator noise;
    private PreparedPrompt prompt;         // the prompt in effect: its context and cross-attention K/V
    private PreparedPrompt pendingPrompt;  // applied at the next chunk boundary
    private int lastPromptChunk = -1;
    private final int latentH;
    private final int latentW;
    private final int tokensPerFrame;
    private KvCache cache;
    private VaeDecoderStream decoder;
    private Tensor referenceLatent;        // [48, 1, h, w] what the reference slot holds
    private Tensor garmentLatent;          // [48, 1, h, w] what the garment slot holds
    private Tensor lastFrame;              // [3, 1, H, W] last decoded pixel frame, clamped
    private Tensor pendingGarment;         // [3, 1, H, W] applied at the next chunk boundary
    private int nextCacheFrame = CONDITIONING_FRAMES;  // frame index of the next chunk in the cache
    private int nextRopeFrame = CONDITIONING_FRAMES;   // its temporal RoPE index
    private int chunk;                     // chunks produced so far
    private int lastSwitchChunk = -1;
    private ChunkTiming lastTiming;        // of the last chunk; null before the first
    private boolean closed;

    Session(Engine engine, Tensor reference, Tensor garment, PreparedPrompt prompt, long seed, SessionOptions options) {
        this.dit = engine.dit();
        this.vae = engine.vae();
        this.backend = engine.backend();
        this.options = options;
        DitConfig cfg = dit.config();
        requireImage(reference, "reference image");
        requireImage(garment, "garment image");
        requirePrompt(prompt);
        this.latentH = options.height() / 16;
        this.latentW = options.width() / 16;
        this.tokensPerFrame = dit.tokensPerFrame(latentH, latentW);
        FlowMatchScheduler scheduler = new FlowMatchScheduler(1000, options.shift());
        this.denoiser = new ChunkDenoiser(dit, backend, scheduler, scheduler.warp(options.denoisingSteps()));
        this.noise = RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
        this.prompt = prompt;
        this.cache = newCache();
        prompt.conditioning().installInto(cache);
        this.decoder = vae.decoderStream();
        this.referenceLatent = vae.encodeImage(reference);
        this.garmentLatent = vae.encodeImage(garment);
        prefillConditioning(true, true);
    }

    private KvCache newCache() {
        DitConfig cfg = dit.config();
        return new KvCache(new KvCacheGeometry(tokensPerFrame, options.windowFrames(), options.sinkFrames(),
                options.windowFrames()), cfg.numLayers(), cfg.numHeads(), cfg.headDim());
    }

    private void requireImage(Tensor image, String what) {
        if (image.shape().rank() != 4 || image.dim(0) != 3 || image.dim(1) != 1
                || image.dim(2) != options.height() || image.dim(3) != options.width()) {
            throw new IllegalArgumentException(what + " " + image.shape() + " must be [3, 1, " + options.height()
                    + ", " + options.width() + "] (RGB in [-1, 1] at the session's video size)");
        }
    }

    /**
     * Denoises, cleans and decodes the next chunk; applies a pending garment switch first.
     *
     * @return [3, frames, H, W] pixels in [−1, 1]: 1 + 4·(F−1) frames for the first chunk after the start
     *         or a switch (9), 4·F after (12)
     */
    public synchronized Tensor nextChunkPixels() {
        return nextChunkTensor();
    }

    /** {@link #nextChunkPixels()} as 8-bit {@link Frames}, ready to show or encode. */
    public synchronized Frames nextChunk() {
        return Frames.fromPixels(nextChunkTensor());
    }

    private Tensor nextChunkTensor() {
        requireOpen();
        long start = System.nanoTime();
        boolean promptChanged = pendingPrompt != null;
        if (promptChanged) {
            applyPrompt();
        }
        if (pendingGarment != null) {
            applySwitch(); // prefills the conditioning slots, with the new prompt if there is one
        } else if (promptChanged) {
            prefillConditioning(true, true);
        }
        long denoising = System.nanoTime();
        int f = options.framesPerChunk();
        Tensor x = gaussian(f);
        KvPlacement placement = new KvPlacement.Stream(nextCacheFrame * tokensPerFrame);
        Tensor x0 = denoiser.denoise(x, nextRopeFrame, placement, dims -> gaussian(f), context(), cache,
                ChunkDenoiser.Observer.NONE);
        nextCacheFrame += f;
        nextRopeFrame += f;
        long decoding = System.nanoTime();
        Tensor[] parts = new Tensor[f];
        for (int i = 0; i < f; i++) {
            parts[i] = decoder.decodeFrame(backend.slice(x0, 1, i, i + 1));
        }
        Tensor pixels = vae.clampPixels(backend.concat(1, parts));
        lastFrame = backend.slice(pixels, 1, pixels.dim(1) - 1, pixels.dim(1));
        chunk++;
        lastTiming = new ChunkTiming((denoising - start) / 1e9, (decoding - denoising) / 1e9,
                (System.nanoTime() - decoding) / 1e9);
        return pixels;
    }

    /**
     * Asks for a garment switch; it takes effect at the next chunk boundary (the chunk being generated,
     * if any, keeps the old garment). A later call before that boundary replaces the request.
     *
     * @param garment [3, 1, H, W] garment photo in [−1, 1], padded to the video size
     */
    public synchronized void switchGarment(Tensor garment) {
        requireOpen();
        requireImage(garment, "garment image");
        pendingGarment = garment;
    }

    /**
     * Asks for another prompt from the next chunk boundary on, as a garment switch: the chunk being
     * generated keeps the old one. At the boundary every block's cross-attention reads the new prompt's
     * K/V (computed once per prompt by the engine, not per session), and the conditioning slots (reference
     * and garment) are prefilled again with it, so they hold what a session opened with this prompt would
     * hold. The generated frames already in the cache keep their K/V, so the motion continues. A later call
     * before that boundary replaces the request.
     *
     * @param next from {@link Engine#prompt(String)} or {@link Engine#prompt(Tensor)} of this session's engine
     */
    public synchronized void switchPrompt(PreparedPrompt next) {
        requireOpen();
        requirePrompt(next);
        pendingPrompt = next;
    }

    /** The prompt in effect (the one the last chunk used; a pending one is not yet in effect). */
    public synchronized PreparedPrompt prompt() {
        return prompt;
    }

    /** True while a requested prompt waits for the next chunk boundary. */
    public synchronized boolean promptPending() {
        return pendingPrompt != null;
    }

    /** Index of the chunk at whose start the last prompt switch took effect, or −1. */
    public synchronized int lastPromptChunk() {
        return lastPromptChunk;
    }

    private void applyPrompt() {
        prompt = pendingPrompt;
        pendingPrompt = null;
        prompt.conditioning().installInto(cache);
        lastPromptChunk = chunk;
    }

    private Tensor context() {
        return prompt.conditioning().context();
    }

    private void requirePrompt(PreparedPrompt p) {
        if (p == null) {
            throw new IllegalArgumentException("prompt is null");
        }
        Tensor e = p.embedding();
        if (e.shape().rank() != 2 || e.dim(1) != dit.config().textDim()
                || p.conditioning().crossKv().size() != dit.config().numLayers()) {
            throw new IllegalArgumentException("prompt embedding " + e.shape() + " must be [textLen, "
                    + dit.config().textDim() + "] and prepared by this session's engine");
        }
    }

    /** True while a requested switch waits for the next chunk boundary. */
    public synchronized boolean switchPending() {
        return pendingGarment != null;
    }

    private void applySwitch() {
        Tensor garment = pendingGarment;
        pendingGarment = null;
        withdrawHistory();
        Tensor newGarment = vae.encodeImage(garment);
        if (lastFrame != null) {
            referenceLatent = vae.encodeImage(lastFrame);
        }
        garmentLatent = newGarment;
        prefillConditioning(true, true);
        if (options.restartDecoder()) {
            decoder.reset();
        }
        lastSwitchChunk = chunk;
    }

    /**
     * Garment KV refresh (paper §3.3, "Garment KV Refresh"): encodes nothing itself; recomputes the K/V of
     * the garment slot (RoPE frame 1, t = 0) from {@code latent} in every layer, and, with joint prefill,
     * the reference slot too (its tokens attend to the garment's). The slots then equal, bit for bit,
     * those of a fresh session prefilled with this garment; generated frames are left as they are.
     *
     * @param latent [48, 1, h, w] normalised garment latent
     */
    public synchronized void refreshGarment(Tensor latent) {
        requireOpen();
        requireLatent(latent, "garment latent");
        garmentLatent = latent;
        prefillConditioning(false, true);
    }

    /**
     * Historical KV withdraw (paper §3.3, "Historical KV Withdraw"): drops the generated frames' K/V,
     * the attention sink too unless {@link SessionOptions#withdrawSink()} is off, so the next chunk
     * attends only to the conditioning slots and follows the new garment. The next chunk is written at
     * frame 2 (or after the kept sink) and, with {@link SessionOptions#restartPositions()}, RoPE restarts
     * there too.
     */
    public synchronized void withdrawHistory() {
        requireOpen();
        int keepFrames = CONDITIONING_FRAMES;
        if (!options.withdrawSink()) {
            keepFrames = Math.min(nextCacheFrame, options.sinkFrames());
        }
        int rows = keepFrames * tokensPerFrame;
        for (int i = 0; i < cache.layers(); i++) {
            cache.self(i).truncate(rows, rows);
        }
        nextCacheFrame = keepFrames;
        if (options.restartPositions()) {
            nextRopeFrame = keepFrames;
        }
    }

    /**
     * Reference KV disentangle (paper §3.3, "Reference KV Disentangle"): the last decoded pixel frame,
     * encoded as a standalone image (fresh encoder cache, one latent frame), becomes the new reference;
     * the reference slot (RoPE frame 0, t = 0) is recomputed, and with joint prefill the garment slot
     * too. A 4-frame latent would not match the single-image reference of training (paper's ablation).
     */
    public synchronized void disentangleReference() {
        requireOpen();
        if (lastFrame == null) {
            throw new IllegalStateException("no frame decoded yet: the reference is still the opening photo");
        }
        disentangleReference(lastFrame);
    }

    /**
     * {@link #disentangleReference()} from a chosen pixel frame instead of the last decoded one.
     *
     * @param frame [3, 1, H, W] in [−1, 1]
     */
    public synchronized void disentangleReference(Tensor frame) {
        requireOpen();
        requireImage(frame, "reference frame");
        referenceLatent = vae.encodeImage(frame);
        prefillConditioning(true, true);
    }

    /** Starts a fresh causal VAE decode: the next chunk decodes like a first chunk (1 + 4·(F−1) frames). */
    public synchronized void restartDecoder() {
        requireOpen();
        decoder.reset();
    }

    /** Recomputes the conditioning slots whose inputs changed (or depend on one that did). */
    private void prefillConditioning(boolean reference, boolean garment) {
        boolean fresh = cache.self(0).localEnd() == 0;
        int t = tokensPerFrame;
        if (options.jointPrefill()) {
            Tensor both = backend.concat(1, referenceLatent, garmentLatent);
            KvPlacement p = fresh ? new KvPlacement.Stream(0) : new KvPlacement.Slot(0, 2 * t);
            denoiser.prefill(both, REFERENCE_FRAME, p, context(), cache, ActivationProbe.NONE);
            return;
        }
        if (reference) {
            KvPlacement p = fresh ? new KvPlacement.Stream(0) : new KvPlacement.Slot(0, t);
            denoiser.prefill(referenceLatent, REFERENCE_FRAME, p, context(), cache, ActivationProbe.NONE);
        }
        if (garment || reference) {
            KvPlacement p = fresh ? new KvPlacement.Stream(t) : new KvPlacement.Slot(t, 2 * t);
            denoiser.prefill(garmentLatent, GARMENT_FRAME, p, context(), cache, ActivationProbe.NONE);
        }
    }

    private void requireLatent(Tensor latent, String what) {
        if (latent.shape().rank() != 4 || latent.dim(0) != dit.config().inDim() || latent.dim(1) != 1
                || latent.dim(2) != latentH || latent.dim(3) != latentW) {
            throw new IllegalArgumentException(what + " " + latent.shape() + " must be [" + dit.config().inDim()
                    + ", 1, " + latentH + ", " + latentW + "]");
        }
    }

    /** [48, frames, h, w] standard normal noise from the session's generator, in a fixed order. */
    private Tensor gaussian(int frames) {
        int c = dit.config().inDim();
        float[] v = new float[c * frames * latentH * latentW];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) noise.nextGaussian();
        }
        return Tensor.of(v, c, frames, latentH, latentW);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
    }

    /** Chunks produced so far. */
    public synchronized int chunksProduced() {
        return chunk;
    }

    /** Where the time of the last chunk went; null before the first chunk. */
    public synchronized ChunkTiming lastChunkTiming() {
        return lastTiming;
    }

    /** Index of the chunk at whose start the last garment switch took effect, or −1. */
    public synchronized int lastSwitchChunk() {
        return lastSwitchChunk;
    }

    /** Restarts the noise stream with another seed (tests compare sessions with different pasts). */
    synchronized void reseed(long seed) {
        requireOpen();
        noise = RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
    }

    /** [48, 1, h, w] the latent the reference slot was last computed from. */
    synchronized Tensor referenceLatent() {
        return referenceLatent;
    }

    /** The KV cache with its host tensors current (for tests and diagnostics; do not modify). */
    synchronized KvCache cache() {
        denoiser.syncToHost(cache);
        return cache;
    }

    /** Frees the KV cache and decoder state; later calls fail with a clear error. */
    @Override
    public synchronized void close() {
        closed = true;
        cache = null;
        decoder = null;
        lastFrame = null;
        pendingGarment = null;
        pendingPrompt = null;
    }
}
