package chameleon.tornado.vendor;

import chameleon.tornado.kernels.SdpaLayoutKernels;
import chameleon.tornado.plan.DeviceAttention;
import chameleon.tornado.plan.DeviceKvCache;
import chameleon.tornado.plan.FixedGrid;
import chameleon.tornado.plan.FloatKvCache;
import chameleon.tornado.plan.HalfKvCache;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Self-attention over the rolling KV window as cuDNN's fused SDPA at head dim d, reading the keys in place from
 * {@link HalfKvCache} (F16 [layers, heads, cap, d], the graph rolls and writes it): a full window costs no packing and no
 * mask columns ({@link CudnnSdpa} hands cuDNN layer ℓ's slice). A shorter window (the first chunks of a session, a
 * garment switch's withdrawn history) is packed at its own length. Tasks: {@code task + "_packq"}, {@code _packkv}
 * (nothing on a full window), {@code _sdpa}, {@code _unpack} (to F32, or to F16 rows for an F16-input linear through
 * {@link #addToHalf}).
 *
 * <p>The plan must run without CUDA graphs ({@link VendorKernels#replayable()}). Over F32 K/V arrays (benchmarks, checks:
 * the array-taking {@code addTo}) it keeps an F16 cache of its own and writes every row into it each execution.
 */
public final class CudnnCacheAttention implements DeviceAttention {
    private Shape shape;
    private HalfFloatArray qHalf;   // [heads, lq, d]
    private HalfFloatArray kPacked; // [heads, ≤ cap, d]
    private HalfFloatArray vPacked; // [heads, ≤ cap, d]
    private HalfFloatArray oHalf;   // [heads, lq, d]

    private record Shape(int lq, int cap, int heads, int d) {
    }

    public CudnnCacheAttention() {
        VendorLibraries.require("tornado.cudnn", "cuDNN attention");
    }

    /** F32 k, v [layers·cap, heads, d]: every row written into an F16 cache of this call's own, then read from it. */
    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
        FloatKvCache f = FloatKvCache.of(k, v, k.getSize() / (cap * heads * d), cap, heads, d);
        addTo(graph, grids, task, q, copyOf(graph, grids, task, f), window, out, lq, scale);
    }

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, DeviceKvCache cache,
                      IntArray window, FloatArray out, int lq, float scale) {
        HalfKvCache c = halfCache(graph, grids, task, cache);
        addSdpa(graph, grids, task, q, c, window, lq, scale);
        graph.task(task + "_unpack", SdpaLayoutKernels::unpackOutput, oHalf, out, lq, c.heads(), c.headDim(),
                c.headDim());
    }

    /** The F16 result [lq, heads, d] straight from cuDNN's output, for an F16-input linear. */
    @Override
    public void addToHalf(TaskGraph graph, GridScheduler grids, String task, FloatArray q, DeviceKvCache cache,
                          IntArray window, HalfFloatArray out, int lq, float scale) {
        HalfKvCache c = halfCache(graph, grids, task, cache);
        DeviceAttention.checkHalfOutput(task, out, lq, c.heads(), c.headDim());
        addSdpa(graph, grids, task, q, c, window, lq, scale);
        graph.task(task + "_unpack", SdpaLayoutKernels::unpackOutputHalf, oHalf, out, lq, c.heads(), c.headDim(),
                c.headDim());
    }

    /** {@code cache} itself if F16; an F32 one through a copy of its rows ({@link #copyOf}). */
    private static HalfKvCache halfCache(TaskGraph graph, GridScheduler grids, String task, DeviceKvCache cache) {
        if (cache instanceof HalfKvCache h) {
            return h;
        }
        if (cache instanceof FloatKvCache f) {
            return copyOf(graph, grids, task, f);
        }
        throw new IllegalArgumentException(task + ": cuDNN's cache attention reads an F16 or F32 KV cache, got "
                + cache.getClass().getSimpleName());
    }

    /** An F16 cache of {@code f}'s rows, every row rewritten each execution ({@code task + "_copy"}). */
    private static HalfKvCache copyOf(TaskGraph graph, GridScheduler grids, String task, FloatKvCache f) {
        HalfKvCache copy = new HalfKvCache(f.layers(), f.cap(), f.heads(), f.headDim());
        int rows = f.layers() * f.cap();
        IntArray all = new IntArray(3);                                         // {0, 0, rows}: source, target, count
        all.set(2, rows);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, all)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, copy.arrays());
        copy.addWrite(graph, grids, task + "_copy", f.keys(), f.values(), all, 0, 1, 2);
        return copy;
    }

    /** Packing q (and a short window), the SDPA task; output in {@link #oHalf} [heads, lq, d]. */
    private void addSdpa(TaskGraph graph, GridScheduler grids, String task, FloatArray q, HalfKvCache cache,
                         IntArray window, int lq, float scale) {
        int cap = cache.cap(), heads = cache.heads(), d = cache.headDim();
        if (d % 8 != 0 || d > 256) {
            throw new IllegalArgumentException("cuDNN SDPA needs head_dim a multiple of 8 and at most 256, got " + d);
        }
        Shape s = new Shape(lq, cap, heads, d);
        if (!s.equals(shape)) {
            shape = s;
            qHalf = new HalfFloatArray(heads * lq * d);
            kPacked = new HalfFloatArray(heads * cap * d);
            vPacked = new HalfFloatArray(heads * cap * d);
            oHalf = new HalfFloatArray(heads * lq * d);
        }
        graph.task(task + "_packq", SdpaLayoutKernels::packQuery, q, qHalf, lq, heads, d, d)
                .task(task + "_packkv", SdpaLayoutKernels::packWindow, new KernelContext(), cache.keys(), cache.values(),
                        window, kPacked, vPacked, cap, heads, d);
        FixedGrid.add(grids, graph, task + "_packkv");
        graph.libraryTask(task + "_sdpa", CudnnSdpa::sdpa, qHalf, cache.keys(), cache.values(), kPacked, vPacked, oHalf,
                window, heads, lq, cap, d, scale);
    }
}
