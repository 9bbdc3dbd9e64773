package chameleon.tornado.plan;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.GemmKernels;
import chameleon.tornado.kernels.StageKernels;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * A Linear layer on the Java GEMM kernels ({@link GemmKernels}: @Parallel, 4×4 register tile a thread,
 * 16-bit weights widened in the kernel). The weights keep their checkpoint dtype on the device: every
 * layer's in one stacked array, layer ℓ's copied into a working buffer ({@link StageKernels}) before the
 * GEMM when there is more than one layer.
 */
public final class JavaLinear implements DeviceLinear {
    private final int n;
    private final int k;
    private final int layers;
    private final DType dtype;
    private final FloatArray stackedF32; // [layers, n, k] for F32 weights
    private final ShortArray stacked16;  // [layers, n, k] bit patterns for BF16/F16 weights
    private final FloatArray stackedBias; // [layers, n] (zeros without bias)
    private final FloatArray pow2;       // exponent table of the 16-bit widening

    /**
     * @param weights one [n, k] weight a layer, all of one dtype (F32, BF16 or F16)
     * @param biases  one [n] bias a layer, or null entries / a null list for none
     */
    public JavaLinear(List<Tensor> weights, List<Tensor> biases) {
        Tensor first = weights.getFirst();
        if (first.shape().rank() != 2) {
            throw new IllegalArgumentException("linear weight must be [N, K], got " + first.shape());
        }
        this.n = first.dim(0);
        this.k = first.dim(1);
        this.layers = weights.size();
        this.dtype = first.dtype();
        long total = (long) layers * n * k;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(layers + " layers of [" + n + ", " + k + "] weights exceed a TornadoVM "
                    + "array's 2^31 elements");
        }
        this.stackedBias = new FloatArray(layers * n);
        for (int l = 0; l < layers; l++) {
            Tensor w = weights.get(l);
            if (w.dtype() != dtype || !w.shape().equals(first.shape())) {
                throw new IllegalArgumentException("layer " + l + " weight " + w + " differs from layer 0's " + first);
            }
            Tensor b = biases == null ? null : biases.get(l);
            if (b != null) {
                if (b.numel() != n) {
                    throw new IllegalArgumentException("layer " + l + " bias " + b.shape() + " must have " + n + " elements");
                }
                float[] values = b.toFloatArray();
                for (int j = 0; j < n; j++) {
                    stackedBias.set(l * n + j, values[j]);
                }
            }
        }
        switch (dtype) {
            case F32 -> {
                stackedF32 = new FloatArray((int) total);
                for (int l = 0; l < layers; l++) {
                    float[] values = weights.get(l).toFloatArray();
                    for (int i = 0; i < values.length; i++) {
                        stackedF32.set(l * n * k + i, values[i]);
                    }
                }
                stacked16 = null;
                pow2 = null;
            }
            case BF16, F16 -> {
                stacked16 = new ShortArray((int) total);
                for (int l = 0; l < layers; l++) {
                    java.lang.foreign.MemorySegment.copy(weights.get(l).segment(), 0, stacked16.getSegment(),
                            (long) l * n * k * 2, (long) n * k * 2);
                }
                pow2 = FloatArray.fromArray(dtype == DType.BF16 ? GemmKernels.bf16Pow2() : GemmKernels.f16Pow2());
                stackedF32 = null;
            }
            default -> throw new IllegalArgumentException("linear weight dtype " + dtype + " not supported");
        }
    }

    /** One layer's weight and bias (or null). */
    public JavaLinear(Tensor weight, Tensor bias) {
        this(List.of(weight), java.util.Collections.singletonList(bias));
    }

    @Override
    public int outFeatures() {
        return n;
    }

    @Override
    public int inFeatures() {
        return k;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int rowMultiple() {
        return GemmKernels.TILE;
    }

    @Override
    public FloatArray biases() {
        return stackedBias;
    }

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m,
                      IntArray layer, Bias withBias) {
        if (m % GemmKernels.TILE != 0) {
            throw new IllegalArgumentException(task + ": " + m + " rows are not a multiple of " + GemmKernels.TILE);
        }
        IntArray dims = new IntArray(1);
        dims.set(0, m);
        int rowTiles = m / GemmKernels.TILE;
        int colTiles = (n + GemmKernels.TILE - 1) / GemmKernels.TILE;
        FloatArray bias = stackedBias;
        if (withBias == Bias.DEFERRED) {
            bias = new FloatArray(n); // zeros: the kernels' bias operand
        } else if (layers > 1) {
            bias = new FloatArray(n);
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, stackedBias, bias)
                    .task(task + "_stage_bias", StageKernels::stageFloats, stackedBias, bias, layer, n);
        }
        switch (dtype) {
            case F32 -> {
                FloatArray w = stackedF32;
                if (layers > 1) {
                    w = new FloatArray(n * k);
                    graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, stackedF32, w)
                            .task(task + "_stage", StageKernels::stageFloats, stackedF32, w, layer, n * k);
                }
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, bias, dims)
                        .task(task, GemmKernels::linearF32, x, w, bias, y, dims, rowTiles, colTiles, k, n);
            }
            case BF16, F16 -> {
                ShortArray w = stacked16;
                if (layers > 1) {
                    w = new ShortArray(n * k);
                    graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, stacked16, w)
                            .task(task + "_stage", StageKernels::stageShorts, stacked16, w, layer, n * k);
                }
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, pow2, bias, dims);
                if (dtype == DType.BF16) {
                    graph.task(task, GemmKernels::linearBf16, x, w, pow2, bias, y, dims, rowTiles, colTiles, k, n);
                } else {
                    graph.task(task, GemmKernels::linearF16, x, w, pow2, bias, y, dims, rowTiles, colTiles, k, n);
                }
            }
            default -> throw new IllegalStateException(dtype.toString());
        }
    }
}
