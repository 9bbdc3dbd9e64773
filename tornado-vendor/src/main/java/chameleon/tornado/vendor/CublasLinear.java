package chameleon.tornado.vendor;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.HalfKernels;
import chameleon.tornado.kernels.RowKernels;
import chameleon.tornado.plan.DeviceLinear;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
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
    private final Precision precision;
    private final HalfFloatArray weightHalf;   // [n, k] F16, HALF only
    private final FloatArray weightFloat;      // [n, k] F32, TF32 only
    private final FloatArray bias;             // [n] or null

    public CublasLinear(Tensor weight, Tensor bias) {
        this(weight, bias, Precision.HALF);
    }

    /**
     * @param weight [n, k] F32, BF16 or F16
     * @param bias   [n] or null
     */
    public CublasLinear(Tensor weight, Tensor bias, Precision precision) {
        VendorLibraries.require("tornado.cublas", "cuBLAS GEMM");
        if (weight.shape().rank() != 2) {
            throw new IllegalArgumentException("linear weight must be [N, K], got " + weight.shape());
        }
        this.n = weight.dim(0);
        this.k = weight.dim(1);
        this.precision = precision;
        if (precision == Precision.HALF) {
            this.weightHalf = halfCopy(weight);
            this.weightFloat = null;
        } else {
            this.weightHalf = null;
            this.weightFloat = new FloatArray(n * k);
            for (int i = 0; i < n * k; i++) {
                weightFloat.set(i, weight.getFloat(i));
            }
        }
        if (bias == null) {
            this.bias = null;
        } else {
            if (bias.numel() != n) {
                throw new IllegalArgumentException("linear bias must have " + n + " values, got " + bias.shape());
            }
            this.bias = new FloatArray(n);
            for (int i = 0; i < n; i++) {
                this.bias.set(i, bias.getFloat(i));
            }
        }
    }

    /** The weight rounded to F16; refuses values F16 cannot hold (they would become ±Inf). */
    private static HalfFloatArray halfCopy(Tensor weight) {
        long size = weight.numel();
        HalfFloatArray h = new HalfFloatArray(Math.toIntExact(size));
        MemorySegment seg = h.getSegment();
        for (long i = 0; i < size; i++) {
            float f = weight.getFloat(i);
            short bits = Float.floatToFloat16(f);
            if (Float.isFinite(f) && Float.isInfinite(Float.float16ToFloat(bits))) {
                throw new IllegalArgumentException("weight value " + f + " at " + i + " exceeds F16's range (65504):"
                        + " use CublasLinear.Precision.TF32 for this layer");
            }
            seg.setAtIndex(ValueLayout.JAVA_SHORT, i, bits);
        }
        return h;
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

    /**
     * Tasks {@code task + "_x16"} (HALF: x → F16 scratch owned by this call), {@code task + "_gemm"} (the library
     * task) and, with a bias, {@code task + "_bias"}. The row count m is fixed in the graph.
     */
    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m) {
        if (x.getSize() < (long) m * k || y.getSize() < (long) m * n) {
            throw new IllegalArgumentException("linear " + task + ": x [" + m + ", " + k + "] and y [" + m + ", " + n
                    + "] do not fit arrays of " + x.getSize() + " and " + y.getSize() + " floats");
        }
        int opT = CuBlasOperation.CUBLAS_OP_T.operation();
        int opN = CuBlasOperation.CUBLAS_OP_N.operation();
        if (precision == Precision.HALF) {
            HalfFloatArray xHalf = new HalfFloatArray(m * k);                     // [m, k] F16
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weightHalf)
                    .task(task + "_x16", HalfKernels::toHalf, x, xHalf, m * k)
                    .libraryTask(task + "_gemm", CuBlas::cublasGemmExFP16FP32, opT, opN, n, m, k, 1f, weightHalf, k,
                            xHalf, k, 0f, y, n);
        } else {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, weightFloat)
                    .libraryTask(task + "_gemm", CuBlas::cublasSgemmTF32, opT, opN, n, m, k, 1f, weightFloat, k,
                            x, k, 0f, y, n);
        }
        if (bias != null) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, bias)
                    .task(task + "_bias", RowKernels::addBias, y, bias, m, n);
        }
    }
}
