package chameleon.tornado.plan;

import chameleon.tornado.kernels.MmaAttentionKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Attention on tensor cores through {@link MmaAttentionKernels#attention} (two passes over the window, fp16
 * operands, fp32 accumulation; head_dim 128, query rows a multiple of 128; PTX and CUDA backends only). One
 * task per call and a device scratch for the score tiles; the window is read on the device at each execution.
 */
public final class MmaAttention implements DeviceAttention {
    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
        if (!fits(lq, d)) {
            throw new IllegalArgumentException("MmaAttention needs head_dim 128 and query rows a multiple of "
                    + MmaAttentionKernels.ROWS + ", got head_dim " + d + ", " + lq + " rows");
        }
        int blocks = lq / MmaAttentionKernels.ROWS;
        // [blocks · heads · KEYS, ROWS]: one score tile per work group, rewritten every key tile
        FloatArray scores = new FloatArray(blocks * heads * MmaAttentionKernels.KEYS * MmaAttentionKernels.ROWS);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, scores)
                .task(task, MmaAttentionKernels::attention, new KernelContext(), q, k, v, out, window, scores, scale, heads);
        WorkerGrid2D grid = new WorkerGrid2D(blocks * MmaAttentionKernels.THREADS, heads);
        grid.setLocalWork(MmaAttentionKernels.THREADS, 1, 1);
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + task, grid);
    }

    /** Whether this kernel takes a call of {@code lq} query rows at head_dim {@code d}. */
    public static boolean fits(int lq, int d) {
        return d == 128 && lq % MmaAttentionKernels.ROWS == 0;
    }
}
