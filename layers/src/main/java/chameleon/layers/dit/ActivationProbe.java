package chameleon.layers.dit;

import chameleon.tensor.Tensor;

/** Receives named intermediate activations of a forward pass (for parity tests and debugging). */
@FunctionalInterface
public interface ActivationProbe {
    ActivationProbe NONE = (name, value) -> { };

    /** {@code value} may be reused by the model afterwards: copy it to keep it. */
    void record(String name, Tensor value);
}
