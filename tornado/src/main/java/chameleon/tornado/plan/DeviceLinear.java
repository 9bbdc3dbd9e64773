package chameleon.tornado.plan;

import chameleon.tornado.kernels.RowKernels;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
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
    default void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m,
                       IntArray layer) {
        addTo(graph, grids, task, x, y, m, layer, Bias.ADDED);
    }

    /**
     * As {@link #addTo(TaskGraph, GridScheduler, String, FloatArray, FloatArray, int, IntArray)}; with
     * {@link Bias#DEFERRED} y = x·W_ℓᵀ only, and a later task of the caller adds {@link #biases()}[ℓ] where it reads
     * y anyway (a norm, an activation, a residual add), which saves a pass over y.
     */
    void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m, IntArray layer,
               Bias bias);

    /**
     * Whether {@link #addToHalf} takes x as F16 rows (cuBLAS, which rounds x to F16 first anyway): a producer that can
     * write F16 itself (cuDNN's attention output) then saves the F32 round trip and the rounding pass.
     */
    default boolean readsHalf() {
        return false;
    }

    /**
     * As {@link #addTo(TaskGraph, GridScheduler, String, FloatArray, FloatArray, int, IntArray, Bias)} from x [m, k]
     * F16 on the device; only where {@link #readsHalf()}.
     */
    default void addToHalf(TaskGraph graph, GridScheduler grids, String task, HalfFloatArray x, FloatArray y, int m,
                           IntArray layer, Bias bias) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " (" + task + ") reads F32 rows");
    }

    /** Who adds the bias b_ℓ. */
    enum Bias {
        /** The linear's own tasks: y = x·W_ℓᵀ + b_ℓ. */
        ADDED,
        /** The caller: y = x·W_ℓᵀ, b_ℓ to be added from {@link #biases()}. */
        DEFERRED
    }

    /** Every layer's bias stacked [layers, n] (zeros for a layer without one), for callers that defer it. */
    FloatArray biases();

    /** One linear of {@link #addAll}: the prefix of its task names, its output y [m, n] and who adds its bias. */
    record Use(DeviceLinear linear, String task, FloatArray y, Bias bias) {
        public Use(DeviceLinear linear, String task, FloatArray y) {
            this(linear, task, y, Bias.ADDED);
        }
    }

    /**
     * Adds y = x·W_ℓᵀ + b_ℓ for every use, all reading the same x [m, k] (q, k and v of one input); x must not be
     * written between them. Implementations that first convert x (F16 for cuBLAS, F16 tiles for the MMA GEMM)
     * convert it once for all uses of their own kind ({@link #addSharingInput}).
     */
    static void addAll(TaskGraph graph, GridScheduler grids, FloatArray x, int m, IntArray layer, List<Use> uses) {
        uses.getFirst().linear().addSharingInput(graph, grids, x, m, layer, uses);
    }

    /** {@link #addAll} as this linear's kind does it; by default each use on its own ({@link #addTo}). */
    default void addSharingInput(TaskGraph graph, GridScheduler grids, FloatArray x, int m, IntArray layer,
                                 List<Use> uses) {
        for (Use u : uses) {
            u.linear().addTo(graph, grids, u.task(), x, u.y(), m, layer, u.bias());
        }
    }

    /**
     * The FFN's two products and the activation between them (MODEL.md §2.3, {@code ffn.2(GELU_tanh(ffn.0(x)))}):
     * y = GELU_tanh(x·W_ℓᵀ + b_ℓ)·Wnext_ℓᵀ, next's bias left to the caller ({@link Bias#DEFERRED}). By default this
     * linear into a device scratch u [m, n] F32 with its bias deferred, {@code task + "_gelu"} adding the bias and the
     * activation in place ({@link RowKernels#addBiasGelu}), then {@code next} on u. cuBLAS fuses bias and activation
     * into the product's epilogue and hands {@code next} the F16 rows it reads anyway.
     *
     * @param x [m, k] F32 on the device
     * @param y [m, next.outFeatures()] F32, written on the device
     */
    default void addGeluThen(TaskGraph graph, GridScheduler grids, String task, DeviceLinear next, String nextTask,
                             FloatArray x, FloatArray y, int m, IntArray layer) {
        if (next.inFeatures() != outFeatures()) {
            throw new IllegalArgumentException(task + " gives " + outFeatures() + " features, " + nextTask + " takes "
                    + next.inFeatures());
        }
        FloatArray u = new FloatArray(m * outFeatures());                     // [m, n]
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, u, biases());
        addTo(graph, grids, task, x, u, m, layer, Bias.DEFERRED);
        graph.task(task + "_gelu", RowKernels::addBiasGelu, u, biases(), layer, m, outFeatures());
        next.addTo(graph, grids, nextTask, u, y, m, layer, Bias.DEFERRED);
    }
}
