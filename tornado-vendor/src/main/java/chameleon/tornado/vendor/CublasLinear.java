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
import uk.ac.manchester.tornado.cublas.enums.CuBlasOperation;

/**
 * A Linear layer as a cuBLAS library task: {@code y = x·wᵀ + b}, weight [n, k] kept on the device.
 *
 * <p>{@link Precision#HALF} (default): the weight is stored F16 (BF16 checkpoints convert exactly unless a value
 * is below F16's subnormal range), x is rounded to F16 on the device by {@link HalfKernels#toHalf}, and
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
    private final HalfFloatArray weightsHalf;  // [layers, n, k] F16, HALF only
    private final FloatArray weightsFloat;     // [layers, n, k] F32, TF32 only
    private final FloatArray biases;           // [layers, n], or null without bias

    public CublasLinear(Tensor weight, Tensor bias) {
        this(List.of(weight), java.util.Collections.singletonList(bias), Precision.HALF);
    }

    /**
     * @param weights one [n, k] weight a layer (F32, BF16 or F16), all of one shape
     * @param biases  one [n] bias a layer, all null (or a null list) for none
     */
    public CublasLinear(List<Tensor> weights, List<Tensor> biases, Precision precision) {
        VendorLibraries.require("tornado.cublas", "cuBLAS GEMM");
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
        }
    }

    /** The weight rounded to F16 at {@code offset} of {@code h}; refuses values F16 cannot hold (they would become ±Inf). */
    private static void halfCopy(Tensor weight, HalfFloatArray h, long offset) {
        float[] values = weight.toFloatArray();
        MemorySegment seg = h.getSegment();
        for (int i = 0; i < values.length; i++) {
            float f = values[i];
            short bits = Float.floatToFloat16(f);
            if (Float.isFinite(f) && Float.isInfinite(Float.float16ToFloat(bits))) {
                throw new IllegalArgumentException("weight value " + f + " at " + i + " exceeds F16's range (65504):"
                        + " use CublasLinear.Precision.TF32 for this layer");
            }
            seg.setAtIndex(ValueLayout.JAVA_SHORT, offset + i, bits);
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
     * Tasks {@code task + "_stage*"} (more than one layer: layer ℓ's weight and bias copied out of the stacked
     * arrays, as cuBLAS takes whole arrays), {@code task + "_x16"} (HALF: x → F16 scratch owned by this call),
     * {@code task + "_gemm"} (the library task) and, with a bias, {@code task + "_bias"}. The row count m is
     * fixed in the graph.
     */
    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m,
                      IntArray layer) {
        if (x.getSize() < (long) m * k || y.getSize() < (long) m * n) {
            throw new IllegalArgumentException("linear " + task + ": x [" + m + ", " + k + "] and y [" + m + ", " + n
                    + "] do not fit arrays of " + x.getSize() + " and " + y.getSize() + " floats");
        }
        int opT = CuBlasOperation.CUBLAS_OP_T.operation();
        int opN = CuBlasOperation.CUBLAS_OP_N.operation();
        FloatArray bias = biases;
        if (biases != null && layers > 1) {
            bias = new FloatArray(n);
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, biases, bias)
                    .task(task + "_stage_bias", StageKernels::stageFloats, biases, bias, layer, n);
        }
        if (precision == Precision.HALF) {
            HalfFloatArray w = weightsHalf;
            if (layers > 1) {
                w = new HalfFloatArray(n * k);
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weightsHalf, w)
                        .task(task + "_stage", StageKernels::stageHalves, weightsHalf, w, layer, n * k);
            }
            HalfFloatArray xHalf = new HalfFloatArray(m * k);                     // [m, k] F16
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, xHalf)
                    .task(task + "_x16", HalfKernels::toHalf, x, xHalf, m * k)
                    .libraryTask(task + "_gemm", CuBlas::cublasGemmExFP16FP32, opT, opN, n, m, k, 1f, w, k,
                            xHalf, k, 0f, y, n);
        } else {
            FloatArray w = weightsFloat;
            if (layers > 1) {
                w = new FloatArray(n * k);
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weightsFloat, w)
                        .task(task + "_stage", StageKernels::stageFloats, weightsFloat, w, layer, n * k);
            }
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, w)
                    .libraryTask(task + "_gemm", CuBlas::cublasSgemmTF32, opT, opN, n, m, k, 1f, w, k, x, k, 0f, y, n);
        }
        if (bias != null) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, bias)
                    .task(task + "_bias", RowKernels::addBias, y, bias, m, n);
        }
    }
}
