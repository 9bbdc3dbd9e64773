package chameleon.tornado.plan;

import chameleon.tornado.kernels.RowKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Adds the row-norm kernels ({@link RowKernels#layerNorm}, alone or after a residual add, {@link RowKernels#rmsNorm}
 * and the fused {@link RowKernels#qkNormRopeStore}) with their work-group-per-row grid.
 */
final class NormTasks {
    private NormTasks() {
    }

    /**
     * y [rows, n] = LayerNorm(x)·w[ℓ] + b[ℓ], ℓ = layer[0], of the affine of every layer stacked [layers, 2, n] = (bias,
     * weight) ({@code affineSize} 2n), or one [2, n] ({@code affineSize} 0); {@code zeros} [n] ({@link RowKernels#layerNorm}
     * with one = 0).
     */
    static TaskGraph layerNorm(TaskGraph g, GridScheduler grids, String task, FloatArray x, FloatArray affine,
                               IntArray layer, int affineSize, FloatArray zeros, FloatArray y, int rows, int n, float eps) {
        FloatArray none = none(g);
        g.task(task, RowKernels::layerNorm, new KernelContext(), x, 0, none, none, 0, affine, layer, affineSize, zeros, 1,
                0, 1, 0f, y, n, rows, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    /**
     * y [rows, n] = RMSNorm(x + b[ℓ])·w[ℓ] ({@link RowKernels#rmsNorm}); b and w [layers, n] with layerSize n, or [n]
     * with layerSize 0.
     */
    static TaskGraph rmsNorm(TaskGraph g, GridScheduler grids, String task, FloatArray x, FloatArray b, FloatArray w,
                             IntArray layer, int layerSize, FloatArray y, int rows, int n, float eps) {
        g.task(task, RowKernels::rmsNorm, new KernelContext(), x, b, w, layer, layerSize, y, n, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    /**
     * y [rows, n] = LayerNorm(x)·(1 + scale) + shift, the adaLN chunks {@code shift} and {@code scale} of table[ℓ] + e[f]
     * ({@link RowKernels#layerNorm} with one = 1).
     */
    static TaskGraph layerNormModulate(TaskGraph g, GridScheduler grids, String task, FloatArray x, FloatArray table,
                                       IntArray layer, int tableSize, FloatArray e, int eChunks, int shift, int scale,
                                       FloatArray y, int rows, int n, int rowsPerFrame, float eps) {
        FloatArray none = none(g);
        g.task(task, RowKernels::layerNorm, new KernelContext(), x, 0, none, none, 0, table, layer,
                tableSize, e, eChunks, shift, scale, 1f, y, n, rowsPerFrame, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    /**
     * x [rows, n] += p + pb[ℓ] (a residual add of a projection whose bias pb [layers, n] was deferred), then y as
     * {@link #layerNormModulate}, in one pass.
     */
    static TaskGraph addLayerNormModulate(TaskGraph g, GridScheduler grids, String task, FloatArray x, FloatArray p,
                                          FloatArray pb, FloatArray table, IntArray layer, int tableSize, FloatArray e,
                                          int eChunks, int shift, int scale, FloatArray y, int rows, int n,
                                          int rowsPerFrame, float eps) {
        g.task(task, RowKernels::layerNorm, new KernelContext(), x, 1, p, pb, 0, table, layer, tableSize, e, eChunks,
                shift, scale, 1f, y, n, rowsPerFrame, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    /**
     * x [rows, n] += (p + pb[ℓ])·(table[ℓ, gate] + e[f, gate]), then y = LayerNorm(x)·table[ℓ, scale] + table[ℓ, shift]
     * (e's chunks shift and scale zeros: an affine LayerNorm whose weight and bias sit in the adaLN table), in one pass
     * ({@link RowKernels#layerNorm} with add 2, one = 0).
     */
    static TaskGraph addGatedLayerNorm(TaskGraph g, GridScheduler grids, String task, FloatArray x, FloatArray p,
                                       FloatArray pb, int gate, FloatArray table, IntArray layer, int tableSize,
                                       FloatArray e, int eChunks, int shift, int scale, FloatArray y, int rows, int n,
                                       int rowsPerFrame, float eps) {
        g.task(task, RowKernels::layerNorm, new KernelContext(), x, 2, p, pb, gate, table, layer, tableSize, e, eChunks,
                shift, scale, 0f, y, n, rowsPerFrame, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    /** A one-float stand-in, uploaded once, for the arrays a {@link RowKernels#layerNorm} call does not read. */
    private static FloatArray none(TaskGraph g) {
        FloatArray none = new FloatArray(1);
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, none);
        return none;
    }

    /**
     * qs = RoPE(RMSNorm(rawQ + bq[ℓ])·normQk[ℓ, 0]); RoPE(RMSNorm(rawK + bk[ℓ])·normQk[ℓ, 1]) and v + bv[ℓ] into kCache,
     * vCache at row plan[rowAt] ({@link RowKernels#qkNormRopeStore}; the DiT passes row scratch its KV cache then stores);
     * all [rows, n], pairs = headDim / 2.
     */
    static TaskGraph qkNormRopeStore(TaskGraph g, GridScheduler grids, String task, FloatArray rawQ, FloatArray rawK,
                                     FloatArray v, FloatArray bq, FloatArray bk, FloatArray bv, FloatArray normQk,
                                     FloatArray cos, FloatArray sin, FloatArray qs, FloatArray kCache,
                                     FloatArray vCache, IntArray plan, int layerAt, int rowAt, int rowsAt, int rows, int n,
                                     int pairs, float eps) {
        g.task(task, RowKernels::qkNormRopeStore, new KernelContext(), rawQ, rawK, v, bq, bk, bv, normQk, cos, sin, qs,
                kCache, vCache, plan, layerAt, rowAt, rowsAt, n, pairs, eps);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + task, grid(rows));
        return g;
    }

    static WorkerGrid1D grid(int rows) {
        WorkerGrid1D grid = new WorkerGrid1D(rows * RowKernels.NORM_THREADS);
        grid.setLocalWork(RowKernels.NORM_THREADS, 1, 1);
        return grid;
    }
}
