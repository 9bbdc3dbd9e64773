package chameleon.layers.vae;

import chameleon.tensor.Tensor;

/**
 * The VAE encoder of a single image on a device ({@link ResidentVaeSource}): the activations stay there from the
 * patchified pixels to μ, so only the image goes up and μ comes down. Single images only (T = 1: the conditioning
 * images of a session and of a garment switch); {@link WanVae} encodes multi-frame videos op by op.
 */
public interface DeviceVaeEncoder {
    /**
     * The un-normalised posterior mean of one image, as {@link WanVae#encodeMean} defines it.
     *
     * @param image [3, 1, H, W] in [−1, 1], H and W multiples of the VAE's spatial stride (16)
     * @return μ [z, 1, H/16, W/16] (the first z channels of {@code conv1}), before the latent normalisation
     */
    Tensor encodeMean(Tensor image);
}
