package chameleon.tornado.plan;

import chameleon.tornado.kernels.AttentionKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Attention through {@link AttentionKernels#attentionReg}: fp32 flash attention with register tiles
 * and K/V tiles in local memory (head_dim 128 only). One task per call; the window is read on the
 * device at each execution.
 */
public final class RegAttention implements DeviceAttention {
    /** Query rows per work group of {@link AttentionKernels#attentionReg}. */
    public static final int ROWS = 64;
    /** Threads per work group. */
    public static final int THREADS = 128;

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
        if (d != 128) {
            throw new IllegalArgumentException("RegAttention needs head_dim 128, got " + d);
        }
        graph.task(task, AttentionKernels::attentionReg, new KernelContext(), q, k, v, out, window, scale, lq, heads);
        WorkerGrid2D grid = new WorkerGrid2D((lq + ROWS - 1) / ROWS * THREADS, heads);
        grid.setLocalWork(THREADS, 1, 1);
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + task, grid);
    }
}
