package chameleon.tornado.plan;

import chameleon.tornado.kernels.RowKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Adds the row-norm kernels ({@link RowKernels#layerNorm}, {@link RowKernels#rmsNorm}) with their work-group-per-row grid. */
final class NormTasks {
    private NormTasks() {
    }

    /**
     * y [rows, n] = LayerNorm(x)·w[ℓ] + b[ℓ], ℓ = layer[0] of the affine of every layer stacked [layers, n]
     * ({@code layerSize} n), or one affine [n] ({@code layerSize} 0).
     */
    static TaskGraph layerNorm(TaskGraph g, GridScheduler grids, String task, FloatArray x, FloatArray w, FloatArray b,
                               IntArray layer, int layerSize, FloatArray y, int rows, int n, float eps) {
        g.task(task, RowKernels::layerNorm, new KernelContext(), x, w, b, layer, layerSize, y, n, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    /** y [rows, n] = RMSNorm(x)·w[ℓ]; w, layer and layerSize as in {@link #layerNorm}. */
    static TaskGraph rmsNorm(TaskGraph g, GridScheduler grids, String task, FloatArray x, FloatArray w, IntArray layer,
                             int layerSize, FloatArray y, int rows, int n, float eps) {
        g.task(task, RowKernels::rmsNorm, new KernelContext(), x, w, layer, layerSize, y, n, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    static WorkerGrid1D grid(int rows) {
        WorkerGrid1D grid = new WorkerGrid1D(rows * RowKernels.NORM_THREADS);
        grid.setLocalWork(RowKernels.NORM_THREADS, 1, 1);
        return grid;
    }
}
