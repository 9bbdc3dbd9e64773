package chameleon.layers.dit;

/** A backend that can run a whole DiT forward on its device, activations and KV cache staying there. */
public interface ResidentDitSource {
    /** The device-resident forward of {@code model} (one per model, reused), or null to use the host path. */
    DitForward residentForward(CausalWanModel model);

    /**
     * Whether {@link #residentForward} gives device-resident forwards. They hold the KV cache of one session at
     * a time on the device: callers that run several sessions at once must run them one after the other.
     */
    boolean resident();
}
