package chameleon.kvcache;

/**
 * The row moves of one K/V write into a {@link KvRingBuffer}, decided by its counters before any data
 * moves, so a backend that keeps the buffer elsewhere (on a GPU) performs exactly the host's moves:
 * first {@code rolled} rows shift from {@code rollFrom} down to {@code rollTo} (eviction of the oldest
 * non-sink rows), then the {@code rows} new rows land at {@code row}; the queries see {@code window}.
 */
public record KvWrite(int rollFrom, int rollTo, int rolled, int row, int rows, AttentionWindow window) {
    public KvWrite {
        if (rolled < 0 || rows < 0 || row < 0 || (rolled > 0 && rollTo >= rollFrom)) {
            throw new IllegalArgumentException("bad KV write: roll " + rolled + " rows " + rollFrom + "→" + rollTo
                    + ", write " + rows + " rows at " + row);
        }
    }
}
