package chameleon.layers.vae;

import chameleon.tensor.Tensor;

/**
 * A streaming VAE decoder that keeps the causal feature cache on a device ({@link ResidentVaeSource}): the
 * decoder's activations and every cache slot stay there between frames. It holds the state of one stream at a
 * time; a stream whose state was displaced by another must restart.
 */
public interface DeviceVaeDecoder {
    /**
     * Decodes the next latent frame of {@code stream}.
     *
     * @param stream the caller's identity (the stream whose cache the device holds)
     * @param x      the latent frame after de-normalisation and {@code conv2}, [z, 1, h, w]
     * @param first  the stream's first frame: the caches restart
     * @return unclamped pixels [3, F, 16h, 16w], F = 1 on the first frame, 4 after
     * @throws IllegalStateException when another stream decoded on the device since this stream's last frame
     */
    Tensor decodeFrame(Object stream, Tensor x, boolean first);
}
