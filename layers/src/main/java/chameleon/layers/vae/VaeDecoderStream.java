package chameleon.layers.vae;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * Streaming decode: one latent frame per call, the decoder's causal {@link FeatureCache} carried from
 * call to call (MODEL.md §3.4), so decoding a video chunk by chunk as the DiT produces it gives the
 * same pixels as decoding it whole. Not thread-safe: one stream per video.
 */
public final class VaeDecoderStream {
    private final WanVae vae;
    private final Decoder3d decoder;
    private final FeatureCache cache;
    private final DeviceVaeDecoder device; // null: op by op on the VAE's backend
    private int framesDecoded;

    VaeDecoderStream(WanVae vae) {
        this.vae = vae;
        this.decoder = vae.decoder();
        this.device = vae.backend() instanceof ResidentVaeSource s ? s.residentDecoder(vae) : null;
        this.cache = device == null ? decoder.newCache() : null;
    }

    /**
     * Decodes the next latent frame.
     *
     * @param latentFrame normalised latent [48, 1, h, w]
     * @return unclamped pixels [3, F, 16h, 16w]: F = 1 for the first frame of the stream, 4 after
     */
    public Tensor decodeFrame(Tensor latentFrame) {
        if (latentFrame.shape().rank() != 4 || latentFrame.dim(1) != 1) {
            throw new IllegalArgumentException("decodeFrame: " + latentFrame.shape() + " is not [z, 1, h, w]");
        }
        Backend b = vae.backend();
        Tensor x = vae.denormalizeAndProject(latentFrame);
        boolean first = framesDecoded == 0;
        Tensor pixels = device != null ? device.decodeFrame(this, x, first)
                : Patchify.unpatchify(b, decoder.forward(b, x, cache, first)); // decoder: [12, F, 8h, 8w]
        framesDecoded++;
        return pixels;
    }

    /** Latent frames decoded since creation or the last {@link #reset()}. */
    public int framesDecoded() {
        return framesDecoded;
    }

    /** Forgets the cache: the next frame is decoded as the first frame of a new video. */
    public void reset() {
        if (cache != null) {
            cache.clear();
        }
        framesDecoded = 0;
    }

}
