package chameleon.layers.vae;

/** A backend that can run the VAE decoder with its activations and causal feature cache on its device. */
public interface ResidentVaeSource {
    /** The device decoder of {@code vae} (one per VAE, reused), or null to decode op by op on this backend. */
    DeviceVaeDecoder residentDecoder(WanVae vae);
}
