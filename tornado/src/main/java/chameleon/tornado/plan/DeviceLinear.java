package chameleon.tornado.plan;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * One Linear layer {@code y = x·wᵀ + b} (weight [n, k] in checkpoint dtype, bias [n] or none) whose tasks
 * run inside a larger TaskGraph over arrays that already live on the device. Implementations: the Java
 * GEMM kernels ({@code --kernels java}) and cuBLAS library tasks ({@code --kernels vendor}).
 */
public interface DeviceLinear {
    /** n: rows of the weight, columns of y. */
    int outFeatures();

    /** k: columns of the weight and of x. */
    int inFeatures();

    /** Row counts passed to {@link #addTo} must be multiples of this (kernel tile height). */
    int rowMultiple();

    /**
     * Adds to {@code graph} the tasks computing {@code y[0, m) = x[0, m) · wᵀ + b}. The weight's device
     * copy (and any constant tables) is transferred on the graph's first execution and stays there.
     * Task names start with {@code task}; KernelContext tasks register their worker grid in
     * {@code grids} under {@code graphName + "." + taskName}.
     *
     * @param x [m, k] F32, on the device (persisted, consumed or written by an earlier task)
     * @param y [m, n] F32, written on the device
     */
    void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m);
}
