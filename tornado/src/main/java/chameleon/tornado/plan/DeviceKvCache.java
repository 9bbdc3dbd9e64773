package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The self-attention K/V of every DiT layer on the device, stacked: layer ℓ's ring buffer ({@code KvRingBuffer}) is
 * rows [ℓ·cap, (ℓ + 1)·cap), so one block graph addresses any layer by absolute row. Row moves come from an execution's
 * parameter array (slots read on the device), as {@link chameleon.kvcache.KvWrite} gives them. Its element layout is
 * the attention's business: {@link FloatKvCache} keeps F32 rows [rows, heads, d] (the Java kernels read them), the
 * vendor mode an F16 [layers, heads, cap, d] that cuDNN reads in place.
 */
public interface DeviceKvCache {
    /**
     * Layers of {@code cap} rows, a row {@code heads × headDim} elements.
     */
    record Shape(int layers, int cap, int heads, int headDim) {
        public Shape {
            if (layers <= 0 || cap <= 0 || heads <= 0 || headDim <= 0) {
                throw new IllegalArgumentException("a KV cache of " + layers + " layers × " + cap + " rows × " + heads
                        + " heads × " + headDim + ": every count must be positive");
            }
            if ((long) layers * cap * heads * headDim > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a KV cache of " + layers + " layers × " + cap + " rows × " + heads
                        + " heads × " + headDim + " exceeds a TornadoVM array's 2^31 elements");
            }
        }

        /** Elements of the keys (or of the values) of every layer. */
        public int elements() {
            return layers * cap * heads * headDim;
        }
    }

    Shape shape();

    /** Rows of one layer. */
    default int cap() {
        return shape().cap();
    }

    default int layers() {
        return shape().layers();
    }

    default int heads() {
        return shape().heads();
    }

    default int headDim() {
        return shape().headDim();
    }

    /** The device arrays, for the owning graph's uploads (zeros, first execution) and {@code persistOnDevice}. */
    Object[] arrays();

    /**
     * Task(s) {@code task + "_…"}: rows [params[fromAt], +params[countAt]) move to [params[toAt], …) (the ring buffer's
     * roll; the ranges may overlap, so through a scratch buffer that starts at row params[zeroAt] = 0).
     */
    void addRoll(TaskGraph graph, GridScheduler grids, String task, IntArray params, int fromAt, int toAt, int countAt,
                 int zeroAt);

    /**
     * Task(s) {@code task + "_…"}: rows [params[srcAt], +params[countAt]) of k and v, F32 [·, heads, d], into the cache
     * rows from params[dstAt] (the chunk's new K/V).
     */
    void addWrite(TaskGraph graph, GridScheduler grids, String task, FloatArray k, FloatArray v, IntArray params,
                  int srcAt, int dstAt, int countAt);

    /** Brings the device arrays to their host copies; {@code owner} is the latest result of the graph that owns them. */
    void download(TornadoExecutionResult owner);

    /** Layer {@code layer}'s rows as F32 [cap, heads, d] into {@code keys} and {@code values}, after {@link #download}. */
    void copyLayer(int layer, Tensor keys, Tensor values);
}
