package chameleon.layers.vae;

/** A backend that can run the VAE decoder and the single-image encoder with their activations on its device. */
public interface ResidentVaeSource {
    /** The device decoder of {@code vae} (one per VAE, reused), or null to decode op by op on this backend. */
    DeviceVaeDecoder residentDecoder(WanVae vae);

    /** The device image encoder of {@code vae} (one per VAE, reused), or null to encode op by op on this backend. */
    DeviceVaeEncoder residentEncoder(WanVae vae);
}
