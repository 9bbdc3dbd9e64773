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
    private final Shape shape;
    private final FloatArray keys;    // [layers·cap, heads, d]
    private final FloatArray values;  // [layers·cap, heads, d]
    private FloatArray roll;          // [cap, heads, d] scratch of the roll, on first addRoll

    public FloatKvCache(int layers, int cap, int heads, int d) {
        this(new Shape(layers, cap, heads, d));
    }

    private FloatKvCache(Shape shape) {
        this(new FloatArray(shape.elements()), new FloatArray(shape.elements()), shape);
    }

    private FloatKvCache(FloatArray keys, FloatArray values, Shape shape) {
        this.keys = keys;
        this.values = values;
        this.shape = shape;
    }

    /** The cache over existing arrays k, v [layers·cap, heads, d]. */
    public static FloatKvCache of(FloatArray k, FloatArray v, int layers, int cap, int heads, int d) {
        Shape shape = new Shape(layers, cap, heads, d);
        if (k.getSize() != shape.elements() || v.getSize() != shape.elements()) {
            throw new IllegalArgumentException("K/V arrays of " + k.getSize() + " and " + v.getSize() + " floats: expected "
                    + layers + " layers × " + cap + " rows × " + heads + " heads × " + d);
        }
        return new FloatKvCache(k, v, shape);
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
    public Shape shape() {
        return shape;
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
            roll = new FloatArray(shape.cap() * shape.heads() * shape.headDim());
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
        graph.task(name, RowKernels::moveRows, new KernelContext(), src, dst, params, srcAt, dstAt, countAt,
                shape.heads() * shape.headDim());
        FixedGrid.add(grids, graph, name);
    }

    @Override
    public void download(TornadoExecutionResult owner) {
        owner.transferToHost(keys, values);
    }

    @Override
    public void copyLayer(int layer, Tensor k, Tensor v) {
        long bytes = (long) shape.cap() * shape.heads() * shape.headDim() * Float.BYTES;
        if (k.numel() * Float.BYTES != bytes || v.numel() * Float.BYTES != bytes) {
            throw new IllegalArgumentException("layer " + layer + " K/V tensors " + k.shape() + ", " + v.shape()
                    + ": expected [" + shape.cap() + ", " + shape.heads() + ", " + shape.headDim() + "]");
        }
        if (layer < 0 || layer >= shape.layers()) {
            throw new IllegalArgumentException("layer " + layer + " of a cache of " + shape.layers());
        }
        long offset = layer * bytes;
        MemorySegment.copy(keys.getSegment(), offset, k.segment(), 0, bytes);
        MemorySegment.copy(values.getSegment(), offset, v.segment(), 0, bytes);
    }
}
