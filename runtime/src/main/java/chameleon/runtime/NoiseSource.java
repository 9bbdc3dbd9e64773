package chameleon.runtime;

import chameleon.tensor.Tensor;

/** Supplies the Gaussian noise a generation consumes, in order: seeded for sessions, recorded for replays. */
@FunctionalInterface
public interface NoiseSource {
    /** The next noise tensor of {@code dims} (channel-first latents). */
    Tensor next(int... dims);
}
