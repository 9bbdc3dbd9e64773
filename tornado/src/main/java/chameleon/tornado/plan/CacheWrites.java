package chameleon.tornado.plan;

import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Where an execution's parameter array says which KV-cache rows the graph rewrote before its attention reads them:
 * rows [params[rolledToAt], +params[rolledAt]) (the ring buffer's roll) and [params[writtenAt], +params[writtenRowsAt])
 * (the chunk's K/V), absolute rows of the stacked cache, read on the device at each execution. An attention that keeps
 * the cache in a layout of its own ({@code CudnnCacheAttention}'s F16 [layers, heads, cap, d]) updates only these rows;
 * the others read the cache itself and ignore them.
 *
 * @param params [≥ 4] ints, uploaded every execution
 */
public record CacheWrites(IntArray params, int rolledToAt, int rolledAt, int writtenAt, int writtenRowsAt) {

    /** Every execution rewrites rows [0, rows): for callers that fill the cache from the host (benchmarks, checks). */
    public static CacheWrites everyRow(int rows) {
        return written(0, rows);
    }

    /** Every execution rewrites rows [from, from + rows) and rolls none, in a params array of its own (4 ints). */
    public static CacheWrites written(int from, int rows) {
        IntArray p = new IntArray(4);
        p.set(0, 0);
        p.set(1, 0);
        p.set(2, from);
        p.set(3, rows);
        return new CacheWrites(p, 0, 1, 2, 3);
    }
}
