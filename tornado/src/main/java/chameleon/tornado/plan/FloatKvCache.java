package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.RowKernels;
import java.lang.foreign.MemorySegment;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A {@link DeviceKvCache} of F32 rows [layers·cap, heads, d], the layout of the host cache and of the Java attention
 * kernels; row moves are {@link RowKernels#moveRows} on the fixed grid. Also wraps K/V arrays that are not rolled or
 * written by the graph (the prompt's cross-attention K/V, {@link #of}).
 */
public final class FloatKvCache implements DeviceKvCache {
    private final int layers;
    private final int cap;
    private final int heads;
    private final int d;
    private final FloatArray keys;    // [layers·cap, heads, d]
    private final FloatArray values;  // [layers·cap, heads, d]
    private FloatArray roll;          // [cap, heads, d] scratch of the roll, on first addRoll

    public FloatKvCache(int layers, int cap, int heads, int d) {
        this(new FloatArray(checkedSize(layers, cap, heads, d)), new FloatArray(checkedSize(layers, cap, heads, d)),
                layers, cap, heads, d);
    }

    private FloatKvCache(FloatArray keys, FloatArray values, int layers, int cap, int heads, int d) {
        this.keys = keys;
        this.values = values;
        this.layers = layers;
        this.cap = cap;
        this.heads = heads;
        this.d = d;
    }

    /** The cache over existing arrays k, v [layers·cap, heads, d]. */
    public static FloatKvCache of(FloatArray k, FloatArray v, int layers, int cap, int heads, int d) {
        long size = checkedSize(layers, cap, heads, d);
        if (k.getSize() != size || v.getSize() != size) {
            throw new IllegalArgumentException("K/V arrays of " + k.getSize() + " and " + v.getSize() + " floats: expected "
                    + layers + " layers × " + cap + " rows × " + heads + " heads × " + d);
        }
        return new FloatKvCache(k, v, layers, cap, heads, d);
    }

    private static int checkedSize(int layers, int cap, int heads, int d) {
        long size = (long) layers * cap * heads * d;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a KV cache of " + layers + " layers × " + cap + " rows × " + heads * d
                    + " exceeds a TornadoVM array's 2^31 elements");
        }
        return (int) size;
    }

    /** [layers·cap, heads, d] */
    public FloatArray keys() {
        return keys;
    }

    /** [layers·cap, heads, d] */
    public FloatArray values() {
        return values;
    }

    @Override
    public int cap() {
        return cap;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int heads() {
        return heads;
    }

    @Override
    public int headDim() {
        return d;
    }

    @Override
    public Object[] arrays() {
        return new Object[] {keys, values};
    }

    /** Tasks {@code task + "_k_out"}, {@code _k_in}, {@code _v_out}, {@code _v_in}. */
    @Override
    public void addRoll(TaskGraph graph, GridScheduler grids, String task, IntArray params, int fromAt, int toAt,
                        int countAt, int zeroAt) {
        if (roll == null) {
            roll = new FloatArray(cap * heads * d);
        }
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, roll);
        move(graph, grids, task + "_k_out", keys, roll, params, fromAt, zeroAt, countAt);
        move(graph, grids, task + "_k_in", roll, keys, params, zeroAt, toAt, countAt);
        move(graph, grids, task + "_v_out", values, roll, params, fromAt, zeroAt, countAt);
        move(graph, grids, task + "_v_in", roll, values, params, zeroAt, toAt, countAt);
    }

    /** Tasks {@code task + "_k"}, {@code task + "_v"}. */
    @Override
    public void addWrite(TaskGraph graph, GridScheduler grids, String task, FloatArray k, FloatArray v, IntArray params,
                         int srcAt, int dstAt, int countAt) {
        move(graph, grids, task + "_k", k, keys, params, srcAt, dstAt, countAt);
        move(graph, grids, task + "_v", v, values, params, srcAt, dstAt, countAt);
    }

    private void move(TaskGraph graph, GridScheduler grids, String name, FloatArray src, FloatArray dst, IntArray params,
                      int srcAt, int dstAt, int countAt) {
        graph.task(name, RowKernels::moveRows, new KernelContext(), src, dst, params, srcAt, dstAt, countAt, heads * d);
        FixedGrid.add(grids, graph, name);
    }

    @Override
    public void download(TornadoExecutionResult owner) {
        owner.transferToHost(keys, values);
    }

    @Override
    public void copyLayer(int layer, Tensor k, Tensor v) {
        long bytes = (long) cap * heads * d * Float.BYTES;
        if (k.numel() * Float.BYTES != bytes || v.numel() * Float.BYTES != bytes) {
            throw new IllegalArgumentException("layer " + layer + " K/V tensors " + k.shape() + ", " + v.shape()
                    + ": expected [" + cap + ", " + heads + ", " + d + "]");
        }
        long offset = layer * bytes;
        MemorySegment.copy(keys.getSegment(), offset, k.segment(), 0, bytes);
        MemorySegment.copy(values.getSegment(), offset, v.segment(), 0, bytes);
    }
}
