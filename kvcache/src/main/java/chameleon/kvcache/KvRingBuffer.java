package chameleon.kvcache;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;

/**
 * One DiT layer's self-attention K/V cache: a fixed buffer of {@code capacity} token rows with a
 * permanent sink at the front and a rolling window behind it (MODEL.md §2.6, Self-Forcing's
 * {@code CausalWanSelfAttention}).
 *
 * <p>Keys are stored already rotated with their absolute temporal RoPE index and are never re-rotated.
 * Two counters drive it: {@code globalEnd}, the absolute number of tokens written so far, and
 * {@code localEnd}, the fill position in the buffer. A call whose tokens end past {@code globalEnd} is a
 * new chunk and appends (evicting the oldest non-sink rows if the buffer would overflow); a call that
 * ends at {@code globalEnd} repeats the current chunk (another denoising step, or the t=0 clean pass)
 * and overwrites its rows in place. Memory is allocated once and never grows.
 */
public final class KvRingBuffer {
    private final int capacity;
    private final int heads;
    private final int headDim;
    private Tensor k;                    // [capacity, heads, headDim], rotated keys; allocated on first host use
    private Tensor v;                    // [capacity, heads, headDim]
    private final int sinkTokens;
    private final int maxAttentionTokens;
    private int globalEnd;
    private int localEnd;

    /**
     * @param capacity           rows in the buffer (window frames × tokens per frame)
     * @param sinkTokens         rows at the front never evicted (sink frames × tokens per frame)
     * @param maxAttentionTokens how far back queries look from the fill position
     */
    public KvRingBuffer(int capacity, int heads, int headDim, int sinkTokens, int maxAttentionTokens) {
        if (sinkTokens < 0 || sinkTokens > capacity || maxAttentionTokens <= 0) {
            throw new IllegalArgumentException("KV cache: sink " + sinkTokens + " must be within capacity "
                    + capacity + ", attention span " + maxAttentionTokens + " must be positive");
        }
        this.capacity = capacity;
        this.heads = heads;
        this.headDim = headDim;
        this.sinkTokens = sinkTokens;
        this.maxAttentionTokens = maxAttentionTokens;
    }

    /**
     * Stores the K/V of the tokens {@code [currentStart, currentStart + n)} and returns the window the
     * chunk's queries attend to (which includes the chunk itself).
     *
     * @param roped  [n, heads, headDim] keys after RoPE
     * @param values [n, heads, headDim]
     */
    public AttentionWindow write(Backend backend, Tensor roped, Tensor values, int currentStart) {
        return apply(backend, planWrite(roped.dim(0), currentStart), roped, values);
    }

    /**
     * Advances the counters for a write of the tokens {@code [currentStart, currentStart + n)} and returns
     * the row moves it takes (the streaming rule of MODEL.md §2.6), without touching any row.
     */
    public KvWrite planWrite(int n, int currentStart) {
        if (n > capacity) {
            throw new IllegalArgumentException("chunk of " + n + " tokens does not fit a KV cache of " + capacity);
        }
        int currentEnd = currentStart + n;
        if (currentEnd < globalEnd) {
            throw new IllegalStateException("tokens [" + currentStart + ", " + currentEnd
                    + ") end before the cache's last chunk (token " + globalEnd
                    + "): only the newest chunk can be recomputed in place");
        }
        int newLocalEnd;
        int evicted = 0;
        int rolled = 0;
        if (currentEnd > globalEnd && localEnd + n > capacity) {
            evicted = localEnd + n - capacity;
            rolled = Math.max(0, localEnd - evicted - sinkTokens);
            newLocalEnd = localEnd + (currentEnd - globalEnd) - evicted;
        } else {
            newLocalEnd = localEnd + (currentEnd - globalEnd);
        }
        int localStart = newLocalEnd - n;
        if (localStart < 0 || newLocalEnd > capacity) {
            throw new IllegalStateException("KV write of tokens [" + currentStart + ", " + currentEnd
                    + ") lands outside the buffer (rows " + localStart + ".." + newLocalEnd + " of " + capacity + ")");
        }
        globalEnd = currentEnd;
        localEnd = newLocalEnd;
        return new KvWrite(sinkTokens + evicted, sinkTokens, rolled, localStart, n,
                new AttentionWindow(Math.max(0, localEnd - maxAttentionTokens), localEnd));
    }

    /**
     * Overwrites rows {@code [row, row + n)} in place and leaves the stream counters alone; the queries
     * attend to rows {@code [0, attendTo)}. The rows must lie inside what the stream has filled, so the
     * next append sees a consistent buffer.
     *
     * @param roped  [n, heads, headDim] keys after RoPE
     * @param values [n, heads, headDim]
     */
    public AttentionWindow overwrite(Backend backend, Tensor roped, Tensor values, int row, int attendTo) {
        return apply(backend, planOverwrite(roped.dim(0), row, attendTo), roped, values);
    }

    /** The row moves of {@link #overwrite} (no counters move). */
    public KvWrite planOverwrite(int n, int row, int attendTo) {
        if (row < 0 || row + n > localEnd || attendTo < row + n || attendTo > localEnd) {
            throw new IllegalArgumentException("KV slot rows [" + row + ", " + (row + n) + ") attending to [0, "
                    + attendTo + ") must lie inside the filled rows [0, " + localEnd + ")");
        }
        return new KvWrite(0, 0, 0, row, n, new AttentionWindow(Math.max(0, attendTo - maxAttentionTokens), attendTo));
    }

    /** Performs {@code move} on the host rows with {@code backend}'s row copies. */
    private AttentionWindow apply(Backend backend, KvWrite move, Tensor roped, Tensor values) {
        Tensor keys = keys(), vals = values();
        if (move.rolled() > 0) {
            backend.copyRows(keys, move.rollFrom(), keys, move.rollTo(), move.rolled());
            backend.copyRows(vals, move.rollFrom(), vals, move.rollTo(), move.rolled());
        }
        backend.copyRows(roped, 0, keys, move.row(), move.rows());
        backend.copyRows(values, 0, vals, move.row(), move.rows());
        return move.window();
    }

    /** Forgets everything written from row {@code rows} on: the fill position and token count go back. */
    public void truncate(int rows, int globalTokens) {
        if (rows < 0 || rows > localEnd || globalTokens < rows) {
            throw new IllegalArgumentException("cannot truncate KV cache filled to " + localEnd + " back to " + rows);
        }
        localEnd = rows;
        globalEnd = globalTokens;
    }

    /** [capacity, heads, headDim] rotated keys, unused rows included (allocated on first call). */
    public Tensor keys() {
        if (k == null) {
            k = Tensor.zeros(capacity, heads, headDim);
        }
        return k;
    }

    /** [capacity, heads, headDim] values, unused rows included (allocated on first call). */
    public Tensor values() {
        if (v == null) {
            v = Tensor.zeros(capacity, heads, headDim);
        }
        return v;
    }

    public int capacity() {
        return capacity;
    }

    public int heads() {
        return heads;
    }

    public int headDim() {
        return headDim;
    }

    public int sinkTokens() {
        return sinkTokens;
    }

    public int globalEnd() {
        return globalEnd;
    }

    public int localEnd() {
        return localEnd;
    }
}
