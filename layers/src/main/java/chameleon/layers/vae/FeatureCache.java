package chameleon.layers.vae;

import chameleon.tensor.Tensor;

/**
 * The state that makes the VAE causal across calls (the official {@code feat_cache}): one slot per
 * cached convolution, in the order the convolutions run. A slot holds the last input frames of its
 * convolution ({@code [C, 1 or 2, H, W]}), the upsample3d "Rep" marker, or nothing yet.
 *
 * <p>Slots are numbered when the network is built ({@link Numbering}), so a module always reads and
 * writes the same slot; the encoder and the decoder each number their own.
 */
final class FeatureCache {
    /** Frames of context a temporal kernel of size 3 needs (the official {@code CACHE_T}). */
    static final int CACHE_T = 2;

    private final Tensor[] frames;
    private final boolean[] rep;

    FeatureCache(int slots) {
        this.frames = new Tensor[slots];
        this.rep = new boolean[slots];
    }

    /** Number of slots. */
    int size() {
        return frames.length;
    }

    /** True before anything was stored in the slot (the first chunk for this module). */
    boolean isEmpty(int slot) {
        return frames[slot] == null && !rep[slot];
    }

    /** True when upsample3d saw only its first chunk so far (the official sentinel {@code "Rep"}). */
    boolean isRep(int slot) {
        return rep[slot];
    }

    /** The cached frames [C, n, H, W], or null when the slot is empty or holds "Rep". */
    Tensor frames(int slot) {
        return frames[slot];
    }

    void putFrames(int slot, Tensor t) {
        frames[slot] = t;
        rep[slot] = false;
    }

    void putRep(int slot) {
        frames[slot] = null;
        rep[slot] = true;
    }

    /** Empties every slot: the next call is a first chunk again. */
    void clear() {
        java.util.Arrays.fill(frames, null);
        java.util.Arrays.fill(rep, false);
    }

    /** Hands out slot numbers in construction order, which is also call order. */
    static final class Numbering {
        private int next;

        int next() {
            return next++;
        }

        int count() {
            return next;
        }
    }
}
