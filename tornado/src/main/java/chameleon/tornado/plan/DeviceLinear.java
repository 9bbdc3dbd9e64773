package chameleon.tornado.plan;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The same Linear layer {@code y = x·W_ℓᵀ + b_ℓ} of every DiT block ℓ (weights [n, k] in checkpoint dtype,
 * biases [n] or none), as tasks inside a TaskGraph over arrays that already live on the device. All
 * layers' weights go to the device once; {@code layer[0]} picks ℓ at run time, so one block graph serves
 * every block. Implementations: the Java GEMM kernels ({@code --kernels java}) and cuBLAS library tasks
 * ({@code --kernels vendor}).
 */
public interface DeviceLinear {
    /** n: rows of the weight, columns of y. */
    int outFeatures();

    /** k: columns of the weight and of x. */
    int inFeatures();

    /** How many layers' weights this holds. */
    int layers();

    /** Row counts passed to {@link #addTo} must be multiples of this (kernel tile height). */
    int rowMultiple();

    /**
     * Adds to {@code graph} the tasks computing {@code y[0, m) = x[0, m) · W_ℓᵀ + b_ℓ}, ℓ = {@code layer[0]}
     * at each execution. The weights are transferred on the graph's first execution and stay there. Task
     * names start with {@code task}; KernelContext tasks register their worker grid in {@code grids} under
     * {@code graphName + "." + taskName}.
     *
     * @param x     [m, k] F32, on the device (persisted, consumed or written by an earlier task)
     * @param y     [m, n] F32, written on the device
     * @param layer {ℓ, …}: uploaded by the graph every execution, or already on the device
     */
    void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m, IntArray layer);
}
