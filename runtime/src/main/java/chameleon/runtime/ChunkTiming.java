package chameleon.runtime;

/**
 * Where the wall time of one {@link Session#nextChunk()} went. Each part ends when its results are back on
 * the host, so on a device backend the parts add up to the chunk's time.
 *
 * @param conditioningSeconds applying a pending garment or prompt switch at the chunk boundary (VAE encode of
 *                            the new garment and of the last frame, conditioning prefill); 0 without one
 * @param ditSeconds          denoising the chunk: every DiT forward (4 steps and the clean pass)
 * @param decodeSeconds       VAE-decoding the chunk's latent frames into pixels
 */
public record ChunkTiming(double conditioningSeconds, double ditSeconds, double decodeSeconds) {
    public double totalSeconds() {
        return conditioningSeconds + ditSeconds + decodeSeconds;
    }
}
