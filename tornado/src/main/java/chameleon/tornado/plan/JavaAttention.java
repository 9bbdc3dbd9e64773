package chameleon.tornado.plan;

import chameleon.tornado.kernels.AttentionKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Attention on the tiled Java flash kernel ({@link AttentionKernels#attentionTiled}: a work group of
 * {@code bq} query rows of one head shares K/V tiles in local memory, online softmax in fp32).
 */
public final class JavaAttention implements DeviceAttention {
    private final int bq;

    /** @param bq query rows (threads) per work group */
    public JavaAttention(int bq) {
        this.bq = bq;
    }

    /** With {@code -Dchameleon.tornado.attention.bq} (default {@value AttentionKernels#BQ}). */
    public JavaAttention() {
        this(Integer.getInteger("chameleon.tornado.attention.bq", AttentionKernels.BQ));
    }

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
        if (d > AttentionKernels.MAX_D) {
            throw new IllegalArgumentException(task + ": head dim " + d + " exceeds the tiled kernel's " + AttentionKernels.MAX_D);
        }
        FloatArray sc = new FloatArray(1);
        sc.set(0, scale);
        KernelContext ctx = new KernelContext();
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, sc)
                .task(task, AttentionKernels::attentionTiled, ctx, q, k, v, out, window, sc, lq, heads, d, bq);
        WorkerGrid2D grid = new WorkerGrid2D((lq + bq - 1) / bq * bq, heads);
        grid.setLocalWork(bq, 1, 1);
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + task, grid);
    }
}
