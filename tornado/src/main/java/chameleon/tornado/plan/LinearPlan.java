package chameleon.tornado.plan;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.GemmKernels;
import chameleon.tornado.kernels.LocalGemmKernels;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * The plan of one Linear layer: its weight (checkpoint dtype) and bias go to the device on the first
 * execution and stay there; x goes up and y comes down on every execution. The x/y buffers hold up to
 * {@link #capacity()} rows; the row count of each call is passed in a small array, so calls with fewer
 * rows reuse the same plan and the same device copy of the weight.
 */
public final class LinearPlan implements AutoCloseable {
    private final Tensor weight;
    private final Tensor bias;
    private final int n;
    private final int k;
    private final int capacity;
    private final FloatArray x;
    private final FloatArray y;
    private final IntArray dims;
    private final Plan plan;

    /** Which GEMM kernel a plan runs. */
    public enum Gemm {
        /** {@link GemmKernels}: @Parallel loops, 4×4 register tile per thread (correct on PoCL). */
        PARALLEL,
        /** {@link LocalGemmKernels}: KernelContext, 16×16 tiles staged in local memory. */
        LOCAL;

        /** From {@code -Dchameleon.tornado.gemm=parallel|local} (default parallel). */
        public static Gemm fromSystemProperty() {
            return valueOf(System.getProperty("chameleon.tornado.gemm", "parallel").toUpperCase(java.util.Locale.ROOT));
        }
    }

    public LinearPlan(Tensor weight, Tensor bias, int capacity) {
        this(weight, bias, capacity, Gemm.PARALLEL);
    }

    public LinearPlan(Tensor weight, Tensor bias, int capacity, Gemm gemm) {
        this(weight, bias, capacity, gemm, false);
    }

    /**
     * @param widenOnHost upload BF16/F16 weights converted to F32 (twice the device memory; a
     *                    diagnostic to tell in-kernel widening apart from other errors)
     */
    public LinearPlan(Tensor weight, Tensor bias, int capacity, Gemm gemm, boolean widenOnHost) {
        if (widenOnHost && weight.dtype() != DType.F32) {
            weight = weight.convertTo(DType.F32);
        }
        if (weight.shape().rank() != 2) {
            throw new IllegalArgumentException("linear weight must be [N, K], got " + weight.shape());
        }
        this.weight = weight;
        this.bias = bias;
        this.n = weight.dim(0);
        this.k = weight.dim(1);
        this.capacity = roundUp(capacity, gemm == Gemm.LOCAL ? LocalGemmKernels.TILE : GemmKernels.TILE);
        this.x = new FloatArray(this.capacity * k);
        this.y = new FloatArray(this.capacity * n);
        this.dims = new IntArray(1);
        FloatArray b = HostCopy.floats(bias, n, 0f);
        int rowTiles = this.capacity / GemmKernels.TILE;
        int colTiles = (n + GemmKernels.TILE - 1) / GemmKernels.TILE;
        TaskGraph g = new TaskGraph(Plan.uniqueName("linear"));
        if (gemm == Gemm.LOCAL) {
            this.plan = buildLocal(g, weight, b);
            return;
        }
        switch (weight.dtype()) {
            case F32 -> {
                FloatArray w = new FloatArray(n * k);
                HostCopy.put(weight, w);
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, b)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, dims)
                        .task("gemm", GemmKernels::linearF32, x, w, b, y, dims, rowTiles, colTiles, k, n);
            }
            case BF16, F16 -> {
                ShortArray w = new ShortArray(n * k);
                HostCopy.putBits(weight, w);
                boolean bf16 = weight.dtype() == DType.BF16;
                FloatArray pow2 = FloatArray.fromArray(bf16 ? GemmKernels.bf16Pow2() : GemmKernels.f16Pow2());
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, pow2, b)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, dims);
                if (bf16) {
                    g.task("gemm", GemmKernels::linearBf16, x, w, pow2, b, y, dims, rowTiles, colTiles, k, n);
                } else {
                    g.task("gemm", GemmKernels::linearF16, x, w, pow2, b, y, dims, rowTiles, colTiles, k, n);
                }
            }
            default -> throw new IllegalArgumentException("linear weight dtype " + weight.dtype() + " not supported");
        }
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        this.plan = Plan.of(g);
    }

    /** Whether this plan serves {@code bias} (same segment, or both null) for {@code rows} rows. */
    public boolean serves(Tensor bias, int rows) {
        boolean sameBias = bias == null ? this.bias == null : this.bias != null && this.bias.segment() == bias.segment();
        return sameBias && rows <= capacity;
    }

    private Plan buildLocal(TaskGraph g, Tensor weight, FloatArray b) {
        KernelContext ctx = new KernelContext();
        switch (weight.dtype()) {
            case F32 -> {
                FloatArray w = new FloatArray(n * k);
                HostCopy.put(weight, w);
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, b)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, dims)
                        .task("gemm", LocalGemmKernels::linearF32, ctx, x, w, b, y, dims, k, n);
            }
            case BF16, F16 -> {
                ShortArray w = new ShortArray(n * k);
                HostCopy.putBits(weight, w);
                boolean bf16 = weight.dtype() == DType.BF16;
                FloatArray pow2 = FloatArray.fromArray(bf16 ? GemmKernels.bf16Pow2() : GemmKernels.f16Pow2());
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, pow2, b)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, dims);
                if (bf16) {
                    g.task("gemm", LocalGemmKernels::linearBf16, ctx, x, w, pow2, b, y, dims, k, n);
                } else {
                    g.task("gemm", LocalGemmKernels::linearF16, ctx, x, w, pow2, b, y, dims, k, n);
                }
            }
            default -> throw new IllegalArgumentException("linear weight dtype " + weight.dtype() + " not supported");
        }
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        int tile = LocalGemmKernels.TILE;
        WorkerGrid2D grid = new WorkerGrid2D(roundUp(n, tile), capacity);
        grid.setLocalWork(tile, tile, 1);
        return Plan.of(g, "gemm", grid);
    }

    /** Whether {@code w} has this plan's weight layout (same dtype, unless widened on the host, and [N, K]). */
    public boolean sameWeight(Tensor w) {
        return (w.dtype() == weight.dtype() || weight.dtype() == DType.F32) && w.shape().equals(weight.shape());
    }

    public int capacity() {
        return capacity;
    }

    public Tensor weight() {
        return weight;
    }

    /** x [M, K] (M ≤ capacity) → y [M, N]. */
    public Tensor apply(Tensor input) {
        if (input.shape().rank() != 2 || input.dim(1) != k) {
            throw new IllegalArgumentException("linear: x " + input.shape() + " and w " + weight.shape()
                    + " must be [M, K] and [N, K]");
        }
        int m = input.dim(0);
        if (m > capacity) {
            throw new IllegalArgumentException(m + " rows exceed the plan's capacity " + capacity);
        }
        HostCopy.put(input, x);
        dims.set(0, m);
        plan.run();
        Tensor out = Tensor.zeros(m, n);
        HostCopy.get(y, out);
        return out;
    }

    static int roundUp(int v, int multiple) {
        return (Math.max(v, 1) + multiple - 1) / multiple * multiple;
    }

    @Override
    public void close() {
        plan.close();
    }
}
