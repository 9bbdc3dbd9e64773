package chameleon.kvcache;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/** Where a forward pass puts its K/V in a layer's {@link KvRingBuffer}, and what its queries see. */
public sealed interface KvPlacement {

    /** Stores k, v [n, heads, headDim] and returns the rows the queries attend to. */
    AttentionWindow place(KvRingBuffer buffer, Backend backend, Tensor k, Tensor v);

    /** The counters' side of {@link #place} for {@code n} rows: the row moves, for a backend that keeps the rows itself. */
    KvWrite plan(KvRingBuffer buffer, int n);

    /**
     * The streaming rule of MODEL.md §2.6: tokens {@code [currentStart, currentStart + n)} are appended
     * (evicting if needed) or, for a repeat of the newest chunk, overwritten in place.
     */
    record Stream(int currentStart) implements KvPlacement {
        @Override
        public AttentionWindow place(KvRingBuffer buffer, Backend backend, Tensor k, Tensor v) {
            return buffer.write(backend, k, v, currentStart);
        }

        @Override
        public KvWrite plan(KvRingBuffer buffer, int n) {
            return buffer.planWrite(n, currentStart);
        }
    }

    /**
     * Rewrites the fixed rows {@code [row, row + n)} of a conditioning slot without moving the stream
     * counters, attending to rows {@code [0, attendTo)} (used by garment refresh and reference
     * disentangle, paper §3.3).
     */
    record Slot(int row, int attendTo) implements KvPlacement {
        @Override
        public AttentionWindow place(KvRingBuffer buffer, Backend backend, Tensor k, Tensor v) {
            return buffer.overwrite(backend, k, v, row, attendTo);
        }

        @Override
        public KvWrite plan(KvRingBuffer buffer, int n) {
            return buffer.planOverwrite(n, row, attendTo);
        }
    }
}
