package chameleon.tornado.vendor;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.HalfKernels;
import chameleon.tornado.kernels.RowKernels;
import chameleon.tornado.kernels.StageKernels;
import chameleon.tornado.plan.DeviceLinear;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.cublas.CuBlas;
import uk.ac.manchester.tornado.cublas.CuBlasLt;
import uk.ac.manchester.tornado.cublas.enums.CuBlasOperation;

/**
 * A Linear layer as a cuBLAS library task: {@code y = x·wᵀ + b}, weight [n, k] kept on the device.
 *
 * <p>{@link Precision#HALF} (default): the weight is stored F16 (BF16 checkpoints convert exactly unless a value
 * is below F16's subnormal range), x is rounded to F16 on the device by {@link HalfKernels#toHalfPairs}, and
 * {@code cublasGemmEx} multiplies on tensor cores with F32 accumulation and F32 output. {@link Precision#TF32}:
 * F32 weight (twice the memory), {@code cublasSgemm} in TF32 tensor-op mode, no conversion task. The binding has
 * no bias epilogue with F32 output, so the bias is a Java task ({@link RowKernels#addBias}).
 *
 * <p>Row-major y = x·wᵀ is column-major yᵀ = w·xᵀ: {@code gemm(T, N, n, m, k, w, ld k, x, ld k, y, ld n)}.
 */
public final class CublasLinear implements DeviceLinear {
    /** How the product is computed. */
    public enum Precision {
        /** F16 weight and activations, F32 accumulate and output ({@code cublasGemmEx}). */
        HALF,
        /** F32 in and out, TF32 tensor cores ({@code cublasSgemm}, {@code CUBLAS_TF32_TENSOR_OP_MATH}). */
        TF32
    }

    private final int n;
    private final int k;
    private final int layers;
    private final Precision precision;
    private final Weights route;               // HALF, more than one layer: how a product finds layer ℓ's weight
    private final HalfFloatArray weightsHalf;  // [layers, n, k] F16, HALF only
    private final FloatArray weightsFloat;     // [layers, n, k] F32, TF32 only
    private final FloatArray biases;           // [layers, n], or null without bias
    private final HalfFloatArray biasesHalf;   // [layers, n] F16 for cuBLASLt's bias epilogue, HALF with a bias only
    private FloatArray zeroBiases;             // [layers, n] zeros, biases() without a bias

    public CublasLinear(Tensor weight, Tensor bias) {
        this(List.of(weight), java.util.Collections.singletonList(bias), Precision.HALF);
    }

    /**
     * @param weights one [n, k] weight a layer (F32, BF16 or F16), all of one shape
     * @param biases  one [n] bias a layer, all null (or a null list) for none
     */
    public CublasLinear(List<Tensor> weights, List<Tensor> biases, Precision precision) {
        this(weights, biases, precision, Weights.STAGED);
    }

    /** How a product of a HALF linear with more than one layer reaches layer ℓ's weight in the stacked array. */
    public enum Weights {
        /** A copy of layer ℓ's weight (and bias) made by a task before each product: TornadoVM's bindings take whole arrays. */
        STAGED,
        /**
         * GemmEx products read the weight in place ({@link LayerGemm}; the plan must then run without CUDA graphs);
         * ffn.0's cuBLASLt product with the GELU_BIAS epilogue ({@link #addGeluThen}) is still staged.
         */
        IN_PLACE,
        /** As {@link #IN_PLACE}, and ffn.0's cuBLASLt product reads its weight and bias in place too ({@link LayerGeluGemm}). */
        IN_PLACE_ALL
    }

    /** @param route HALF with more than one layer: how each product reaches layer ℓ's weight */
    public CublasLinear(List<Tensor> weights, List<Tensor> biases, Precision precision, Weights route) {
        VendorLibraries.require("tornado.cublas", "cuBLAS GEMM");
        this.route = route;
        Tensor first = weights.getFirst();
        if (first.shape().rank() != 2) {
            throw new IllegalArgumentException("linear weight must be [N, K], got " + first.shape());
        }
        this.n = first.dim(0);
        this.k = first.dim(1);
        this.layers = weights.size();
        this.precision = precision;
        long total = (long) layers * n * k;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(layers + " layers of [" + n + ", " + k + "] weights exceed a TornadoVM "
                    + "array's 2^31 elements");
        }
        for (int l = 0; l < layers; l++) {
            if (!weights.get(l).shape().equals(first.shape())) {
                throw new IllegalArgumentException("layer " + l + " weight " + weights.get(l) + " differs from layer 0's " + first);
            }
        }
        if (precision == Precision.HALF) {
            this.weightsHalf = new HalfFloatArray((int) total);
            // layers convert in parallel (disjoint ranges): 5·10⁹ conversions for the 5B model
            java.util.stream.IntStream.range(0, layers).parallel()
                    .forEach(l -> halfCopy(weights.get(l), weightsHalf, (long) l * n * k));
            this.weightsFloat = null;
        } else {
            this.weightsHalf = null;
            this.weightsFloat = new FloatArray((int) total);
            for (int l = 0; l < layers; l++) {
                float[] values = weights.get(l).toFloatArray();
                MemorySegment.copy(values, 0, weightsFloat.getSegment(), ValueLayout.JAVA_FLOAT, (long) l * n * k * 4,
                        values.length);
            }
        }
        boolean anyBias = biases != null && biases.stream().anyMatch(java.util.Objects::nonNull);
        if (!anyBias) {
            this.biases = null;
            this.biasesHalf = null;
        } else {
            this.biases = new FloatArray(layers * n);
            for (int l = 0; l < layers; l++) {
                Tensor b = biases.get(l);
                if (b == null) {
                    continue;
                }
                if (b.numel() != n) {
                    throw new IllegalArgumentException("layer " + l + " bias must have " + n + " values, got " + b.shape());
                }
                float[] values = b.toFloatArray();
                for (int i = 0; i < n; i++) {
                    this.biases.set(l * n + i, values[i]);
                }
            }
            this.biasesHalf = precision == Precision.HALF ? halfOf(this.biases) : null;
        }
    }

    /** F16 copy of {@code f}; refuses values F16 cannot hold. */
    private static HalfFloatArray halfOf(FloatArray f) {
        HalfFloatArray h = new HalfFloatArray(f.getSize());
        for (int i = 0; i < f.getSize(); i++) {
            h.getSegment().setAtIndex(ValueLayout.JAVA_SHORT, i, checkedHalf(f.get(i), i));
        }
        return h;
    }

    /** f rounded to F16 bits; a finite value that would become ±Inf is an error. */
    private static short checkedHalf(float f, long at) {
        short bits = Float.floatToFloat16(f);
        if (Float.isFinite(f) && Float.isInfinite(Float.float16ToFloat(bits))) {
            throw new IllegalArgumentException("parameter value " + f + " at " + at + " exceeds F16's range (65504):"
                    + " use CublasLinear.Precision.TF32 for this layer");
        }
        return bits;
    }

    /** The weight rounded to F16 at {@code offset} of {@code h}; refuses values F16 cannot hold (they would become ±Inf). */
    private static void halfCopy(Tensor weight, HalfFloatArray h, long offset) {
        float[] values = weight.toFloatArray();
        MemorySegment seg = h.getSegment();
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(ValueLayout.JAVA_SHORT, offset + i, checkedHalf(values[i], i));
        }
    }

    @Override
    public int outFeatures() {
        return n;
    }

    @Override
    public int inFeatures() {
        return k;
    }

    /** cuBLAS takes any row count. */
    @Override
    public int rowMultiple() {
        return 1;
    }

    public Precision precision() {
        return precision;
    }

    @Override
    public int layers() {
        return layers;
    }

    /**
     * Tasks {@code task + "_stage"} (more than one layer: layer ℓ's weight copied out of the stacked array, as
     * cuBLAS takes whole arrays), {@code task + "_x16"} (HALF: x → F16 scratch owned by this call),
     * {@code task + "_gemm"} (the library task) and, with a bias, {@code task + "_bias"} (layer ℓ's row of the
     * stacked biases). The row count m is fixed in the graph.
     */
    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m,
                      IntArray layer, Bias withBias) {
        checkRows(task, x, y, m);
        if (precision == Precision.HALF) {
            addHalfProduct(graph, task, halfInput(graph, task, x, m), y, m, layer, withBias);
        } else {
            addTf32Product(graph, task, x, y, m, layer, withBias);
        }
    }

    @Override
    public FloatArray biases() {
        if (biases != null) {
            return biases;
        }
        if (zeroBiases == null) {
            zeroBiases = new FloatArray(layers * n);
        }
        return zeroBiases;
    }

    /** One x → F16 for all uses when every use is a HALF CublasLinear of this k (q, k, v of one input). */
    @Override
    public void addSharingInput(TaskGraph graph, GridScheduler grids, FloatArray x, int m, IntArray layer,
                                List<Use> uses) {
        if (!uses.stream().allMatch(u -> u.linear() instanceof CublasLinear c && c.precision == Precision.HALF
                && c.k == k)) {
            DeviceLinear.super.addSharingInput(graph, grids, x, m, layer, uses);
            return;
        }
        for (Use u : uses) {
            checkRows(u.task(), x, u.y(), m);
        }
        HalfFloatArray xHalf = halfInput(graph, uses.getFirst().task(), x, m);
        for (Use u : uses) {
            ((CublasLinear) u.linear()).addHalfProduct(graph, u.task(), xHalf, u.y(), m, layer, u.bias());
        }
    }

    /** HALF: the product reads F16 rows, which it would otherwise round x to first. */
    @Override
    public boolean readsHalf() {
        return precision == Precision.HALF;
    }

    @Override
    public void addToHalf(TaskGraph graph, GridScheduler grids, String task, HalfFloatArray x, FloatArray y, int m,
                          IntArray layer, Bias withBias) {
        if (precision != Precision.HALF) {
            throw new UnsupportedOperationException("linear " + task + " is " + precision + ": it reads F32 rows");
        }
        checkRows(task, x.getSize(), y, m);
        addHalfProduct(graph, task, x, y, m, layer, withBias);
    }

    private void checkRows(String task, FloatArray x, FloatArray y, int m) {
        checkRows(task, x.getSize(), y, m);
    }

    private void checkRows(String task, long xSize, FloatArray y, int m) {
        if (xSize < (long) m * k || y.getSize() < (long) m * n) {
            throw new IllegalArgumentException("linear " + task + ": x [" + m + ", " + k + "] and y [" + m + ", " + n
                    + "] do not fit arrays of " + xSize + " and " + y.getSize() + " elements");
        }
    }

    /** The task rounding x [m, k] to F16 (in pairs when m·k is even); returns the F16 copy (device scratch). */
    private HalfFloatArray halfInput(TaskGraph graph, String task, FloatArray x, int m) {
        HalfFloatArray xHalf = new HalfFloatArray(m * k);                     // [m, k] F16
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, xHalf);
        if (m * k % 2 == 0) {
            graph.task(task + "_x16", HalfKernels::toHalfPairs, x, xHalf, m * k);
        } else {
            graph.task(task + "_x16", HalfKernels::toHalf, x, xHalf, m * k);
        }
        return xHalf;
    }

    /**
     * ffn.0 and ffn.2 of cuBLAS HALF linears with ffn.0's bias: one cuBLASLt product with the GELU_BIAS epilogue
     * ({@code task + "_gemm_gelu"}: bias and GELU_tanh applied to the F32 accumulator, F16 out) whose F16 rows
     * [m, n] are ffn.2's input, with no F32 intermediate, activation pass or second F16 conversion. Any other pair:
     * the default. With {@link Weights#IN_PLACE_ALL} the product reads layer ℓ's weight and bias in place
     * ({@link LayerGeluGemm}).
     */
    @Override
    public void addGeluThen(TaskGraph graph, GridScheduler grids, String task, DeviceLinear next, String nextTask,
                            FloatArray x, FloatArray y, int m, IntArray layer) {
        if (precision != Precision.HALF || biasesHalf == null || !(next instanceof CublasLinear c)
                || c.precision != Precision.HALF || c.k != n) {
            DeviceLinear.super.addGeluThen(graph, grids, task, next, nextTask, x, y, m, layer);
            return;
        }
        if (x.getSize() < (long) m * k || y.getSize() < (long) m * c.n) {
            throw new IllegalArgumentException("linears " + task + ", " + nextTask + ": x [" + m + ", " + k + "] and y ["
                    + m + ", " + c.n + "] do not fit arrays of " + x.getSize() + " and " + y.getSize() + " floats");
        }
        HalfFloatArray xHalf = halfInput(graph, task, x, m);
        HalfFloatArray u = new HalfFloatArray(m * n);                                          // [m, n] F16
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, u);
        if (route == Weights.IN_PLACE_ALL && layers > 1) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weightsHalf, biasesHalf)
                    .libraryTask(task + "_gemm_gelu", LayerGeluGemm::gemm, OP_T, OP_N, n, m, k, weightsHalf, k,
                            (long) n * k, layer, 0, xHalf, k, u, n, biasesHalf);
        } else {
            HalfFloatArray w = layerRow(graph, task + "_stage", weightsHalf, n * k, layer);    // [n, k] F16
            HalfFloatArray b = layerRow(graph, task + "_stage_bias", biasesHalf, n, layer);     // [n] F16
            graph.libraryTask(task + "_gemm_gelu", CuBlasLt::ltMatmulGeluBiasFP16, OP_T, OP_N, n, m, k, 1f, w, k, xHalf,
                    k, 0f, u, n, b);
        }
        c.addHalfProduct(graph, nextTask, u, y, m, layer, Bias.DEFERRED);
    }

    /**
     * Layer ℓ's row [size] of {@code stacked} [layers, size] as a whole array, which is what a library task takes:
     * the stacked array itself for one layer, else a working copy refreshed by task {@code name}.
     */
    private HalfFloatArray layerRow(TaskGraph graph, String name, HalfFloatArray stacked, int size, IntArray layer) {
        if (layers == 1) {
            return stacked;
        }
        HalfFloatArray staged = new HalfFloatArray(size);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, stacked, staged);
        if (size % 2 == 0) {
            graph.task(name, StageKernels::stageHalfPairs, stacked, staged, layer, size);
        } else {
            graph.task(name, StageKernels::stageHalves, stacked, staged, layer, size);
        }
        return staged;
    }

    /** y [m, n] = xHalf·W_ℓᵀ (GemmEx, F32 out) + b_ℓ (the bias unless deferred). */
    private void addHalfProduct(TaskGraph graph, String task, HalfFloatArray xHalf, FloatArray y, int m, IntArray layer,
                                Bias withBias) {
        if (route != Weights.STAGED && layers > 1) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weightsHalf)
                    .libraryTask(task + "_gemm", LayerGemm::gemm, OP_T, OP_N, n, m, k, weightsHalf, k, (long) n * k,
                            layer, 0, xHalf, k, y, n);
        } else {
            HalfFloatArray w = layerRow(graph, task + "_stage", weightsHalf, n * k, layer);
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, w)
                    .libraryTask(task + "_gemm", CuBlas::cublasGemmExFP16FP32, OP_T, OP_N, n, m, k, 1f, w, k, xHalf, k,
                            0f, y, n);
        }
        addBias(graph, task, y, m, layer, withBias);
    }

    /** y [m, n] = x·W_ℓᵀ (Sgemm on TF32 tensor cores) + b_ℓ (the bias unless deferred). */
    private void addTf32Product(TaskGraph graph, String task, FloatArray x, FloatArray y, int m, IntArray layer,
                                Bias withBias) {
        FloatArray w = weightsFloat;
        if (layers > 1) {
            w = new FloatArray(n * k);
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weightsFloat, w)
                    .task(task + "_stage", StageKernels::stageFloats, weightsFloat, w, layer, n * k);
        }
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, w)
                .libraryTask(task + "_gemm", CuBlas::cublasSgemmTF32, OP_T, OP_N, n, m, k, 1f, w, k, x, k, 0f, y, n);
        addBias(graph, task, y, m, layer, withBias);
    }

    /**
     * y [m, n] += b_ℓ, read from the stacked biases (no staging copy); nothing without a bias or when the caller adds
     * it ({@link Bias#DEFERRED}).
     */
    private void addBias(TaskGraph graph, String task, FloatArray y, int m, IntArray layer, Bias withBias) {
        if (biases != null && withBias == Bias.ADDED) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, biases)
                    .task(task + "_bias", RowKernels::addBias, y, biases, layer, m, n);
        }
    }

    private static final int OP_T = CuBlasOperation.CUBLAS_OP_T.operation();
    private static final int OP_N = CuBlasOperation.CUBLAS_OP_N.operation();
}
