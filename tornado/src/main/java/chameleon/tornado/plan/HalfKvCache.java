package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.SdpaLayoutKernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The DiT's KV cache in cuDNN's layout, F16 [layers, heads, cap, d]: the vendor mode's {@code CudnnCacheAttention} hands
 * cuDNN layer ℓ's slice in place. Half the bytes of the F32 cache (7.5 GB instead of 15 for the 5B model's 30 layers × 20 240 rows,
 * and no second copy), and the chunk's K/V are rounded once, as they are written
 * ({@link SdpaLayoutKernels#writeCacheRows}); the roll moves F16 rows ({@link SdpaLayoutKernels#moveCacheRows}).
 * CUDA backend only (F16 pair stores).
 */
public final class HalfKvCache implements DeviceKvCache {
    private final Shape shape;
    private final HalfFloatArray keys;      // [layers, heads, cap, d]
    private final HalfFloatArray values;    // [layers, heads, cap, d]
    private HalfFloatArray rollKeys;        // [heads, cap, d] scratch of the roll, on first addRoll
    private HalfFloatArray rollValues;      // [heads, cap, d]

    public HalfKvCache(int layers, int cap, int heads, int d) {
        if (d % 2 != 0) {
            throw new IllegalArgumentException("an F16 KV cache moves pairs of columns: head dim " + d + " must be even");
        }
        this.shape = new Shape(layers, cap, heads, d);
        this.keys = new HalfFloatArray(shape.elements());
        this.values = new HalfFloatArray(shape.elements());
    }

    /** [layers, heads, cap, d] F16 */
    public HalfFloatArray keys() {
        return keys;
    }

    /** [layers, heads, cap, d] F16 */
    public HalfFloatArray values() {
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

    /** Tasks {@code task + "_out"} (K and V rows to the scratch) and {@code task + "_in"} (back at their new rows). */
    @Override
    public void addRoll(TaskGraph graph, GridScheduler grids, String task, IntArray params, int fromAt, int toAt,
                        int countAt, int zeroAt) {
        int cap = shape.cap(), heads = shape.heads(), d = shape.headDim();
        if (rollKeys == null) {
            rollKeys = new HalfFloatArray(heads * cap * d);
            rollValues = new HalfFloatArray(heads * cap * d);
        }
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, rollKeys, rollValues);
        graph.task(task + "_out", SdpaLayoutKernels::moveCacheRows, new KernelContext(), keys, values, rollKeys,
                rollValues, params, fromAt, zeroAt, countAt, cap, heads, d);
        FixedGrid.add(grids, graph, task + "_out");
        graph.task(task + "_in", SdpaLayoutKernels::moveCacheRows, new KernelContext(), rollKeys, rollValues, keys,
                values, params, zeroAt, toAt, countAt, cap, heads, d);
        FixedGrid.add(grids, graph, task + "_in");
    }

    /** Task {@code task}: the F32 rows rounded to F16 into the cache's layout. */
    @Override
    public void addWrite(TaskGraph graph, GridScheduler grids, String task, FloatArray k, FloatArray v, IntArray params,
                         int srcAt, int dstAt, int countAt) {
        int cap = shape.cap(), heads = shape.heads(), d = shape.headDim();
        graph.task(task, SdpaLayoutKernels::writeCacheRows, new KernelContext(), k, v, keys, values, params, srcAt,
                dstAt, countAt, cap, heads, d);
        FixedGrid.add(grids, graph, task);
    }

    @Override
    public void download(TornadoExecutionResult owner) {
        owner.transferToHost(keys, values);
    }

    /** Layer ℓ's rows widened to F32 [cap, heads, d] on the host, heads in parallel. */
    @Override
    public void copyLayer(int layer, Tensor k, Tensor v) {
        int cap = shape.cap(), heads = shape.heads(), d = shape.headDim();
        long size = (long) cap * heads * d;
        if (k.numel() != size || v.numel() != size) {
            throw new IllegalArgumentException("layer " + layer + " K/V tensors " + k.shape() + ", " + v.shape()
                    + ": expected [" + cap + ", " + heads + ", " + d + "]");
        }
        if (layer < 0 || layer >= shape.layers()) {
            throw new IllegalArgumentException("layer " + layer + " of a cache of " + shape.layers());
        }
        IntStream.range(0, heads).parallel().forEach(h -> {
            widen(keys.getSegment(), k.segment(), layer, h);
            widen(values.getSegment(), v.segment(), layer, h);
        });
    }

    private void widen(MemorySegment half, MemorySegment floats, int layer, int h) {
        int cap = shape.cap(), heads = shape.heads(), d = shape.headDim();
        long src = ((long) layer * heads + h) * cap * d;
        for (int j = 0; j < cap; j++) {
            long dst = ((long) j * heads + h) * d;
            for (int c = 0; c < d; c++) {
                short bits = half.getAtIndex(ValueLayout.JAVA_SHORT, src + (long) j * d + c);
                floats.setAtIndex(ValueLayout.JAVA_FLOAT, dst + c, Float.float16ToFloat(bits));
            }
        }
    }
}
