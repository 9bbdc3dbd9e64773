package chameleon.runtime;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvPlacement;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.dit.DitForward;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * The streaming loop of MODEL.md §2.8 for one session's cache: prefill the conditioning frames at t=0,
 * then per chunk the few-step denoising (x0 prediction, re-noise with fresh ε) and the t=0 clean pass
 * that leaves the chunk's final K/V in the cache.
 */
public final class ChunkDenoiser {
    private final CausalWanModel model;
    private final DitForward dit;
    private final FlowMatchScheduler scheduler;
    private final float[] steps; // warped timesteps, e.g. [1000, 937.5, 833.33, 625]

    /** Sees every network call of a chunk (for replays, tests and diagnostics). */
    public interface Observer {
        Observer NONE = new Observer() { };

        /** The probe to pass to the forward of {@code step} (−1: the clean pass). */
        default ActivationProbe probe(int step) {
            return ActivationProbe.NONE;
        }

        default void onStep(int step, Tensor x, Tensor v, Tensor x0) {
        }

        default void onClean(Tensor v) {
        }
    }

    public ChunkDenoiser(CausalWanModel model, Backend backend, FlowMatchScheduler scheduler, float[] steps) {
        this.model = model;
        this.dit = DitForward.of(model, backend);
        this.scheduler = scheduler;
        this.steps = steps.clone();
    }

    /**
     * Writes the K/V of clean conditioning frames (reference at frame 0, garment at 1, …) at t=0.
     *
     * @param frames     [C, F, H, W] clean latents
     * @param startFrame temporal index of the first frame
     * @return [C, F, H, W] the network output (discarded by the pipeline)
     */
    public Tensor prefill(Tensor frames, int startFrame, Tensor context, KvCache cache, ActivationProbe probe) {
        return prefill(frames, startFrame, stream(frames, startFrame), context, cache, probe);
    }

    /** {@link #prefill(Tensor, int, Tensor, KvCache, ActivationProbe)} with an explicit K/V placement. */
    public Tensor prefill(Tensor frames, int ropeStartFrame, KvPlacement placement, Tensor context, KvCache cache,
                          ActivationProbe probe) {
        return dit.forward(frames, new long[frames.dim(1)], ropeStartFrame, placement, context, cache, probe);
    }

    private KvPlacement stream(Tensor latents, int startFrame) {
        return new KvPlacement.Stream(startFrame * model.tokensPerFrame(latents.dim(2), latents.dim(3)));
    }

    /**
     * Denoises one chunk starting from pure noise and refreshes its K/V with the clean pass.
     *
     * @param noise      [C, F, H, W] the step-0 input
     * @param startFrame absolute temporal index of the chunk's first frame
     * @param renoise    the ε for steps 1.. (one [C, F, H, W] tensor per step after the first)
     * @return [C, F, H, W] x0 of the last step
     */
    public Tensor denoise(Tensor noise, int startFrame, NoiseSource renoise, Tensor context, KvCache cache,
                          Observer observer) {
        return denoise(noise, startFrame, stream(noise, startFrame), renoise, context, cache, observer);
    }

    /**
     * {@link #denoise(Tensor, int, NoiseSource, Tensor, KvCache, Observer)} with the RoPE index of the
     * chunk's first frame and its cache placement given apart (they differ once positions restart).
     */
    public Tensor denoise(Tensor noise, int ropeStartFrame, KvPlacement placement, NoiseSource renoise,
                          Tensor context, KvCache cache, Observer observer) {
        int startFrame = ropeStartFrame;
        int frames = noise.dim(1);
        Tensor x = noise;
        Tensor x0 = null;
        for (int s = 0; s < steps.length; s++) {
            long[] t = new long[frames];
            java.util.Arrays.fill(t, FlowMatchScheduler.networkTimestep(steps[s]));
            Tensor v = dit.forward(x, t, startFrame, placement, context, cache, observer.probe(s));
            float sigma = scheduler.sigma(steps[s]);
            x0 = FlowMatchScheduler.toX0(x, v, sigma);
            observer.onStep(s, x, v, x0);
            if (s + 1 < steps.length) {
                x = FlowMatchScheduler.addNoise(x0, renoise.next(noise.shape().dims()), scheduler.sigma(steps[s + 1]));
            }
        }
        Tensor clean = dit.forward(x0, new long[frames], startFrame, placement, context, cache,
                observer.probe(-1));
        observer.onClean(clean);
        return x0;
    }

    /** Makes {@code cache}'s host tensors current (the forward may keep them on a device). */
    public void syncToHost(KvCache cache) {
        dit.syncToHost(cache);
    }
}
