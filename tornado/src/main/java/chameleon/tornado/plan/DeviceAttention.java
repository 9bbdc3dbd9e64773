package chameleon.tornado.plan;

import chameleon.tornado.kernels.HalfKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
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
     * As above over a {@link DeviceKvCache} that the graph rolls and writes itself (the DiT's self-attention), the window
     * in its absolute rows, cap its layer's rows. By default its F32 arrays ({@link FloatKvCache}); an attention that
     * reads another layout overrides this.
     */
    default void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, DeviceKvCache cache,
                       IntArray window, FloatArray out, int lq, float scale) {
        if (!(cache instanceof FloatKvCache f)) {
            throw new IllegalArgumentException(task + ": " + getClass().getSimpleName() + " reads an F32 KV cache, got "
                    + cache.getClass().getSimpleName());
        }
        addTo(graph, grids, task, q, f.keys(), f.values(), window, out, lq, f.cap(), f.heads(), f.headDim(), scale);
    }

    /**
     * As {@link #addTo(TaskGraph, GridScheduler, String, FloatArray, DeviceKvCache, IntArray, FloatArray, int, float)},
     * with the output rounded to F16 for a linear that reads F16 rows ({@link DeviceLinear#readsHalf}: the attention's
     * output projection through cuBLAS). By default the F32 output goes to a scratch of its own and
     * {@code task + "_x16"} rounds it ({@link HalfKernels#toHalfPairs}, CUDA backend only); cuDNN's attentions write
     * their F16 result in this layout directly.
     *
     * @param out [lq, heads, d] F16, written on the device
     */
    default void addToHalf(TaskGraph graph, GridScheduler grids, String task, FloatArray q, DeviceKvCache cache,
                           IntArray window, HalfFloatArray out, int lq, float scale) {
        int size = checkHalfOutput(task, out, lq, cache.heads(), cache.headDim());
        FloatArray f = new FloatArray(size);                                   // [lq, heads, d]
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, f);
        addTo(graph, grids, task, q, cache, window, f, lq, scale);
        graph.task(task + "_x16", HalfKernels::toHalfPairs, f, out, size);
    }

    /**
     * The element count of an F16 output [lq, heads, d], refused when {@code out} is shorter or the count is odd (the F16
     * kernels move pairs).
     */
    static int checkHalfOutput(String task, HalfFloatArray out, int lq, int heads, int d) {
        int size = lq * heads * d;
        if (out.getSize() < size || size % 2 != 0) {
            throw new IllegalArgumentException(task + ": F16 output of " + out.getSize() + " halves for [" + lq + ", "
                    + heads + ", " + d + "] (an even count)");
        }
        return size;
    }
}
