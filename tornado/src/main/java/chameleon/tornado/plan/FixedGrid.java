package chameleon.tornado.plan;

import chameleon.tornado.kernels.RowKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;

/**
 * The grid of the KernelContext kernels that stride over a length read on the device ({@link RowKernels#moveRows},
 * the cuDNN layout kernels of the KV-cache copy): {@link RowKernels#MOVE_THREADS} threads in groups of 256, whatever
 * the length, so an execution with nothing to do costs one launch.
 */
public final class FixedGrid {
    private FixedGrid() {
    }

    /** Gives task {@code task} of {@code graph} the fixed grid. */
    public static void add(GridScheduler grids, TaskGraph graph, String task) {
        WorkerGrid1D grid = new WorkerGrid1D(RowKernels.MOVE_THREADS);
        grid.setLocalWork(256, 1, 1);
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + task, grid);
    }
}
