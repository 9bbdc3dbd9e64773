package chameleon.tornado.vendor;

import chameleon.tornado.kernels.SdpaLayoutKernels;
import chameleon.tornado.plan.CacheWrites;
import chameleon.tornado.plan.DeviceAttention;
import chameleon.tornado.plan.FixedGrid;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Self-attention over the rolling KV window as cuDNN's fused SDPA at head dim d, reading the keys in place: the
 * instance keeps an F16 copy of the whole stacked cache in cuDNN's layout [layers, heads, cap, d] and brings over only
 * the rows each execution rewrote ({@link CacheWrites}: the chunk's K/V, and the roll once a chunk), so a full window
 * costs no packing and no mask columns ({@link CudnnSdpa} hands cuDNN layer ℓ's slice). A shorter window (the first
 * chunks of a session, a garment switch's withdrawn history) is packed at its own length. Tasks:
 * {@code task + "_packq"}, {@code _mirror_roll}, {@code _mirror_write}, {@code _packkv} (nothing on a full window),
 * {@code _sdpa}, {@code _unpack}.
 *
 * <p>The copy costs 2 bytes an element beside the F32 cache (7.5 GB for the 5B model's 30 layers × 20 240 rows). The
 * plan must run without CUDA graphs ({@link VendorKernels#replayable()}). Attention over a cache that the graph does
 * not rewrite itself (benchmarks) goes through the plain {@code addTo}, which copies every row every execution.
 */
public final class CudnnCacheAttention implements DeviceAttention {
    private Shape shape;
    private HalfFloatArray qHalf;   // [heads, lq, d]
    private HalfFloatArray kCache;  // [layers, heads, cap, d]
    private HalfFloatArray vCache;  // [layers, heads, cap, d]
    private HalfFloatArray kPacked; // [heads, ≤ cap, d]
    private HalfFloatArray vPacked; // [heads, ≤ cap, d]
    private HalfFloatArray oHalf;   // [heads, lq, d]

    private record Shape(int lq, int rows, int cap, int heads, int d) {
    }

    public CudnnCacheAttention() {
        VendorLibraries.require("tornado.cudnn", "cuDNN attention");
    }

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
        CacheWrites all = CacheWrites.everyRow(k.getSize() / (heads * d));
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, all.params());
        addTo(graph, grids, task, q, k, v, window, all, out, lq, cap, heads, d, scale);
    }

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, CacheWrites writes, FloatArray out, int lq, int cap, int heads, int d,
                      float scale) {
        int rows = k.getSize() / (heads * d);
        if (d % 8 != 0 || d > 256) {
            throw new IllegalArgumentException("cuDNN SDPA needs head_dim a multiple of 8 and at most 256, got " + d);
        }
        if (rows % cap != 0 || (long) rows * heads * d != k.getSize()) {
            throw new IllegalArgumentException("the KV cache holds " + k.getSize() + " floats: expected whole layers of "
                    + cap + " rows × " + heads + " heads × " + d);
        }
        Shape s = new Shape(lq, rows, cap, heads, d);
        if (!s.equals(shape)) {
            shape = s;
            qHalf = new HalfFloatArray(heads * lq * d);
            kCache = new HalfFloatArray(rows * heads * d);
            vCache = new HalfFloatArray(rows * heads * d);
            kPacked = new HalfFloatArray(heads * cap * d);
            vPacked = new HalfFloatArray(heads * cap * d);
            oHalf = new HalfFloatArray(heads * lq * d);
        }
        // uploaded once (zeros, as the F32 cache starts), then kept up to date on the device
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, kCache, vCache);
        graph.task(task + "_packq", SdpaLayoutKernels::packQuery, q, qHalf, lq, heads, d, d);
        mirrorTask(graph, grids, task + "_mirror_roll", k, v, writes.params(), writes.rolledToAt(), writes.rolledAt(),
                cap, heads, d);
        mirrorTask(graph, grids, task + "_mirror_write", k, v, writes.params(), writes.writtenAt(),
                writes.writtenRowsAt(), cap, heads, d);
        graph.task(task + "_packkv", SdpaLayoutKernels::packWindow, new KernelContext(), k, v, window, kPacked, vPacked,
                cap, heads, d);
        FixedGrid.add(grids, graph, task + "_packkv");
        graph.libraryTask(task + "_sdpa", CudnnSdpa::sdpa, qHalf, kCache, vCache, kPacked, vPacked, oHalf, window,
                        heads, lq, cap, d, scale)
                .task(task + "_unpack", SdpaLayoutKernels::unpackOutput, oHalf, out, lq, heads, d, d);
    }

    /** Task {@code name}: {@link SdpaLayoutKernels#mirrorRows} of the rows params names, on the fixed grid. */
    private void mirrorTask(TaskGraph graph, GridScheduler grids, String name, FloatArray k, FloatArray v,
                            IntArray params, int fromAt, int countAt, int cap, int heads, int d) {
        graph.task(name, SdpaLayoutKernels::mirrorRows, new KernelContext(), k, v, kCache, vCache, params, fromAt,
                countAt, cap, heads, d);
        FixedGrid.add(grids, graph, name);
    }
}
