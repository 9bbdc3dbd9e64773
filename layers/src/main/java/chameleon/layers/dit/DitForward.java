package chameleon.layers.dit;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvPlacement;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * Runs forwards of one {@link CausalWanModel}: on the host through a {@link Backend}'s ops
 * ({@link #of}), or whole on a device that keeps the activations and the KV cache there (a backend that
 * is a {@link ResidentDitSource}).
 */
public interface DitForward {
    /** The arguments and result of {@link CausalWanModel#forward(Backend, Tensor, long[], int, KvPlacement, Tensor, KvCache, ActivationProbe)}. */
    Tensor forward(Tensor latents, long[] timesteps, int ropeStartFrame, KvPlacement placement, Tensor context,
                   KvCache cache, ActivationProbe probe);

    /**
     * Makes the host copy of {@code cache} (self-attention rows and cross-attention K/V) current. A host
     * forward keeps it current; a device-resident one copies it back here, so call this before reading
     * the cache's tensors.
     */
    default void syncToHost(KvCache cache) {
    }

    /** {@code model}'s forward on {@code backend}: device-resident where the backend offers it. */
    static DitForward of(CausalWanModel model, Backend backend) {
        if (backend instanceof ResidentDitSource source) {
            DitForward resident = source.residentForward(model);
            if (resident != null) {
                return resident;
            }
        }
        return (latents, timesteps, rope, placement, context, cache, probe) ->
                model.forward(backend, latents, timesteps, rope, placement, context, cache, probe);
    }
}
