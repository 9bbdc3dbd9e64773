package chameleon.tornado.vendor;

import chameleon.tornado.kernels.SdpaLayoutKernels;
import chameleon.tornado.plan.DeviceAttention;
import chameleon.tornado.plan.DeviceKvCache;
import chameleon.tornado.plan.FloatKvCache;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.cudnn.CuDnn;

/**
 * Attention as cuDNN's fused SDPA (flash attention) library task. TornadoVM's binding
 * ({@code CuDnn.sdpaForward}) takes F16 tensors packed [batch, heads, seq, d] with both sequence lengths fixed
 * in the graph and offers no padding mask or run-time lengths, only an optional causal mask. So each call is
 * three tasks: {@code task + "_pack"} converts q and the key window into F16 BHSD buffers of fixed length cap
 * (the window is read on the device, rows past it masked through an extra head-dim column, see
 * {@link SdpaLayoutKernels}), {@code task + "_sdpa"} runs cuDNN over all cap keys with head dim d + 8, and
 * {@code task + "_unpack"} writes F32 [lq, heads, d]. The cost is that of the full cap keys whatever the window.
 *
 * <p>{@link Keys#FULL} is for callers whose window always covers all cap rows (cross-attention over the text
 * context): no mask column, head dim d, about 30 % faster SDPA at d = 128; a shorter window would then attend
 * to zero keys, so it must not be used for a rolling KV window.
 *
 * <p>The F16 buffers ([heads, lq | cap, dp]) are shared by every call of one shape added through this
 * instance: the calls of a graph run one after another on one stream.
 */
public final class CudnnAttention implements DeviceAttention {
    /** Which key windows the calls use. */
    public enum Keys {
        /** Any window {from, to} with to − from ≤ cap: padded keys masked, head dim d + 8. */
        WINDOW,
        /** Always {0, cap} (e.g. cross-attention): no mask, head dim d. */
        FULL
    }

    private final Keys keys;
    private Shape shape;
    private HalfFloatArray qHalf;   // [heads, lq, dp]
    private HalfFloatArray kHalf;   // [heads, cap, dp]
    private HalfFloatArray vHalf;   // [heads, cap, dp]
    private HalfFloatArray oHalf;   // [heads, lq, dp]

    private record Shape(int lq, int cap, int heads, int d) {
    }

    public CudnnAttention() {
        this(Keys.WINDOW);
    }

    public CudnnAttention(Keys keys) {
        VendorLibraries.require("tornado.cudnn", "cuDNN attention");
        this.keys = keys;
    }

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
        int dp = addSdpa(graph, task, q, k, v, window, lq, cap, heads, d, scale);
        graph.task(task + "_unpack", SdpaLayoutKernels::unpackOutput, oHalf, out, lq, heads, d, dp);
    }

    /** The F16 result [lq, heads, d] straight from cuDNN's output, for an F16-input linear; an F32 cache only. */
    @Override
    public void addToHalf(TaskGraph graph, GridScheduler grids, String task, FloatArray q, DeviceKvCache cache,
                          IntArray window, HalfFloatArray out, int lq, float scale) {
        if (!(cache instanceof FloatKvCache f)) {
            throw new IllegalArgumentException(task + ": CudnnAttention packs from an F32 KV cache, got "
                    + cache.getClass().getSimpleName());
        }
        int heads = f.heads(), d = f.headDim();
        DeviceAttention.checkHalfOutput(task, out, lq, heads, d);
        int dp = addSdpa(graph, task, q, f.keys(), f.values(), window, lq, f.cap(), heads, d, scale);
        graph.task(task + "_unpack", SdpaLayoutKernels::unpackOutputHalf, oHalf, out, lq, heads, d, dp);
    }

    /** Packing and the SDPA task, output in {@link #oHalf} [heads, lq, dp]; returns dp. */
    private int addSdpa(TaskGraph graph, String task, FloatArray q, FloatArray k, FloatArray v, IntArray window, int lq,
                        int cap, int heads, int d, float scale) {
        int dp = keys == Keys.WINDOW ? d + SdpaLayoutKernels.MASK_COLUMNS : d;
        if (d % 8 != 0 || dp > 256) {
            throw new IllegalArgumentException("cuDNN SDPA needs head_dim a multiple of 8 and at most 256 (with "
                    + "Keys.WINDOW's mask columns: " + (256 - SdpaLayoutKernels.MASK_COLUMNS) + "), got " + d);
        }
        Shape s = new Shape(lq, cap, heads, d);
        if (!s.equals(shape)) {
            shape = s;
            qHalf = new HalfFloatArray(heads * lq * dp);
            kHalf = new HalfFloatArray(heads * cap * dp);
            vHalf = new HalfFloatArray(heads * cap * dp);
            oHalf = new HalfFloatArray(heads * lq * dp);
        }
        graph.task(task + "_packq", SdpaLayoutKernels::packQuery, q, qHalf, lq, heads, d, dp)
                .task(task + "_packkv", SdpaLayoutKernels::packKeys, k, v, window, kHalf, vHalf, cap, heads, d, dp)
                .libraryTask(task + "_sdpa", CuDnn::sdpaForward, qHalf, kHalf, vHalf, oHalf, 1, heads, lq, cap, dp,
                        scale, false);
        return dp;
    }
}
