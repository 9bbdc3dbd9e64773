package chameleon.runtime;

/**
 * How a {@link Session} streams and switches garments. The defaults are FashionChameleon's
 * (MODEL.md §1.4–1.8); the four switch choices the paper leaves open are switchable.
 *
 * @param width             video width in pixels (multiple of 32; 704 for the real model)
 * @param height            video height in pixels (multiple of 32; 1280)
 * @param framesPerChunk    latent frames denoised together (3)
 * @param windowFrames      KV window in latent frames, conditioning included (23)
 * @param sinkFrames        frames never evicted: reference, garment and the first chunk (5)
 * @param denoisingSteps    nominal steps, warped through the shifted table ([1000, 750, 500, 250])
 * @param shift             flow-matching shift (5)
 * @param restartPositions  after a switch, generated frames restart at RoPE index 2, as in training
 *                          (default true); false continues the absolute positions
 * @param withdrawSink      historical-KV withdraw also drops the first chunk kept as attention sink
 *                          (default true)
 * @param jointPrefill      reference and garment are prefilled in one forward and attend to each
 *                          other (default true, as the reference pipeline); false prefills them one
 *                          after the other
 * @param restartDecoder    after a switch the VAE decoder starts a fresh causal cache, as for a new
 *                          I2V video (default true)
 */
public record SessionOptions(int width, int height, int framesPerChunk, int windowFrames, int sinkFrames,
                             int[] denoisingSteps, float shift, boolean restartPositions, boolean withdrawSink,
                             boolean jointPrefill, boolean restartDecoder) {

    /** The real model's 1280×704 portrait video with every default. */
    public static SessionOptions defaults() {
        return new SessionOptions(704, 1280, 3, 23, 5, new int[] {1000, 750, 500, 250}, 5f, true, true, true, true);
    }

    public SessionOptions {
        if (width <= 0 || height <= 0 || width % 32 != 0 || height % 32 != 0) {
            throw new IllegalArgumentException("video size " + width + "×" + height
                    + " must be positive multiples of 32 (VAE stride 16 × DiT patch 2)");
        }
        if (framesPerChunk <= 0 || sinkFrames < 2 || windowFrames < sinkFrames + framesPerChunk) {
            throw new IllegalArgumentException("KV window of " + windowFrames + " frames must hold the sink ("
                    + sinkFrames + " ≥ 2 frames) and a chunk of " + framesPerChunk);
        }
        if (denoisingSteps.length == 0 || !(shift > 0)) {
            throw new IllegalArgumentException("need at least one denoising step and a positive shift");
        }
        denoisingSteps = denoisingSteps.clone();
    }

    @Override
    public int[] denoisingSteps() {
        return denoisingSteps.clone();
    }

    public SessionOptions withSize(int w, int h) {
        return new SessionOptions(w, h, framesPerChunk, windowFrames, sinkFrames, denoisingSteps, shift,
                restartPositions, withdrawSink, jointPrefill, restartDecoder);
    }

    public SessionOptions withSwitchChoices(boolean restartPositions, boolean withdrawSink, boolean jointPrefill,
                                            boolean restartDecoder) {
        return new SessionOptions(width, height, framesPerChunk, windowFrames, sinkFrames, denoisingSteps, shift,
                restartPositions, withdrawSink, jointPrefill, restartDecoder);
    }
}
