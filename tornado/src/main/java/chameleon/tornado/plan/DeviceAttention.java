package chameleon.tornado.plan;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Multi-head attention {@code out = softmax(q·kᵀ·scale)·v} over a key window chosen at run time, as tasks
 * of a larger TaskGraph over device-resident arrays: the Java flash kernels ({@code --kernels java}) or
 * cuDNN SDPA ({@code --kernels vendor}).
 */
public interface DeviceAttention {
    /**
     * Adds the tasks of one attention call.
     *
     * @param q      [lq, heads, d] F32 on the device
     * @param k      [rows, heads, d] F32 on the device (e.g. every layer's KV cache, stacked)
     * @param v      [rows, heads, d] F32 on the device
     * @param window {from, to}: the key rows attended to (absolute rows of k, v), read on the device at each
     *               execution; to − from ≤ cap
     * @param cap    the longest window (e.g. one layer's cache rows)
     * @param out    [lq, heads, d] F32, written on the device
     */
    void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
               IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale);

    /**
     * As above, for a graph that rewrites some rows of k and v itself each execution ({@code writes} says which); an
     * attention that reads k and v directly needs nothing more, one that keeps its own copy updates those rows.
     */
    default void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                       IntArray window, CacheWrites writes, FloatArray out, int lq, int cap, int heads, int d,
                       float scale) {
        addTo(graph, grids, task, q, k, v, window, out, lq, cap, heads, d, scale);
    }
}
