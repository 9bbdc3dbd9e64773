package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.MmaGemmKernels;
import chameleon.tornado.kernels.RowKernels;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A Linear layer on tensor cores ({@link MmaGemmKernels}): the weight (any dtype; BF16 checkpoints are
 * rounded to fp16 on the host, see {@link #maxConversionError()}) is uploaded once as fp16 in the
 * pre-tiled layout of the chosen {@link Block}; each call adds three tasks: x F32 → fp16 tiles, the MMA
 * GEMM (fp32 accumulate), and the bias epilogue (skipped when there is no bias and n fills the blocks).
 * PTX/CUDA backends only (MMA); the CPU reference is {@link #reference}.
 */
public final class MmaLinear implements DeviceLinear {
    /** Block tile of the GEMM kernel; all use 8 warps (256 threads). */
    public enum Block {
        /** {@link MmaGemmKernels#mma128x128k32}: warp tile 32×64, k-step 32. */
        M128N128K32(128, 128, 32),
        /** {@link MmaGemmKernels#mma128x256k16}: warp tile 64×64, k-step 16. */
        M128N256K16(128, 256, 16),
        /** {@link MmaGemmKernels#mma128x128k16}: warp tile 32×64, k-step 16 (closest to TornadoVM's example). */
        M128N128K16(128, 128, 16),
        /** {@link MmaGemmKernels#mma128x128k32w64x32}: warp tile 64×32 (fewer ldmatrix per MMA), k-step 32. */
        M128N128K32W64X32(128, 128, 32);

        final int bm;
        final int bn;
        final int bk;

        Block(int bm, int bn, int bk) {
            this.bm = bm;
            this.bn = bn;
            this.bk = bk;
        }

        static final int THREADS = 256;

        /**
         * The launch geometry of every kernel of these blocks: a work group of {@link #THREADS} per block of rows
         * (global x {@code rowBlocks·THREADS}) and {@code columns} work groups along y (column blocks, times batches
         * where the kernel is batched).
         */
        static WorkerGrid2D grid(int rowBlocks, int columns) {
            WorkerGrid2D grid = new WorkerGrid2D(rowBlocks * THREADS, columns);
            grid.setLocalWork(THREADS, 1, 1);
            return grid;
        }

        /**
         * From {@code -Dchameleon.tornado.mma.block=m128n128k32w64x32|…} (default M128N128K32W64X32, the fastest
         * at the DiT's three GEMM shapes on an H100: KERNELS.md).
         */
        public static Block fromSystemProperty() {
            return valueOf(System.getProperty("chameleon.tornado.mma.block", "M128N128K32W64X32").toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** Largest finite fp16 magnitude. */
    static final float F16_MAX = 65504f;

    private final Block block;
    private final int n;
    private final int k;
    private final int kPad;
    private final int nPad;
    private final int layers;
    private final int layerInts;
    private final IntArray wt;
    private final FloatArray bias;
    private FloatArray zeroBias;          // [layers, n] zeros, biases() without a bias
    private final double maxConversionError;

    public MmaLinear(Tensor weight, Tensor bias) {
        this(weight, bias, Block.fromSystemProperty());
    }

    public MmaLinear(Tensor weight, Tensor bias, Block block) {
        this(List.of(weight), bias == null ? null : List.of(bias), block);
    }

    /**
     * The same Linear of several layers (all weights [n, k], all biases [n] or {@code biases} null): all go
     * to the device once, stacked; {@code layer[0]} picks one at run time.
     *
     * @throws IllegalArgumentException if a weight is not [n, k] or any weight's magnitude exceeds the fp16
     *                                  range (it would become ±Inf on the tensor cores)
     */
    public MmaLinear(List<Tensor> weights, List<Tensor> biases, Block block) {
        Tensor first = weights.get(0);
        if (first.shape().rank() != 2) {
            throw new IllegalArgumentException("linear weight must be [N, K], got " + first.shape());
        }
        this.block = block;
        this.layers = weights.size();
        this.n = first.dim(0);
        this.k = first.dim(1);
        this.kPad = roundUp(k, block.bk);
        this.nPad = roundUp(n, block.bn);
        this.layerInts = nPad / 2 * kPad;
        if ((long) layerInts * layers > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(layers + " layers of " + first.shape() + " exceed one IntArray");
        }
        if (biases != null) {
            this.bias = new FloatArray(layers * n);
            for (int l = 0; l < layers; l++) {
                if (biases.get(l).numel() != n) {
                    throw new IllegalArgumentException("bias " + biases.get(l) + " must have " + n + " elements");
                }
                float[] b = biases.get(l).toFloatArray();
                for (int c = 0; c < n; c++) {
                    bias.set(l * n + c, b[c]);
                }
            }
        } else {
            this.bias = null;
        }
        this.wt = new IntArray(layerInts * layers);
        wt.init(0);
        double worst = 0;
        for (int l = 0; l < layers; l++) {
            Tensor w = weights.get(l);
            if (!w.shape().equals(first.shape())) {
                throw new IllegalArgumentException("layer " + l + " weight " + w.shape() + " differs from " + first.shape());
            }
            worst = Math.max(worst, putTiles(w, l * layerInts));
        }
        this.maxConversionError = worst;
    }

    /**
     * Writes w [n, k] into wt at {@code base} in the B-tile layout
     * [nPad/bn][kPad/bk][bk/16 slabs][bn/8 sub-tiles][16 k][4 pairs], int = fp16(w[c][kk]) | fp16(w[c+1][kk]) ≪ 16
     * (zeros in the padding); returns the largest |fp16(w) − w|.
     */
    private double putTiles(Tensor weight, int base) {
        return putTiles(weight, n, k, kPad, block, wt, base);
    }

    /**
     * Writes {@code weight} viewed as [n, k] (row-major, any dtype) into {@code wt} at {@code base} in the
     * B-tile layout of {@code block} for a k padded to {@code kPad}; returns the largest |fp16(w) − w|.
     * Shared with {@link MmaConv}, whose weights are [Cout, Cin·kt·kh·kw] GEMM operands of the same kernels.
     * Row pairs write disjoint ints of wt, so they convert in parallel (the 5B model is 5·10⁹ conversions).
     *
     * @throws IllegalArgumentException if a value is outside the fp16 range
     */
    static double putTiles(Tensor weight, int n, int k, int kPad, Block block, IntArray wt, int base) {
        return java.util.stream.IntStream.range(0, (n + 1) / 2).parallel()
                .mapToDouble(pair -> putPair(weight, n, k, kPad, block, wt, base, 2 * pair))
                .max().orElse(0);
    }

    /** Rows c and c + 1 of the weight into their B tiles; returns their largest |fp16(w) − w|. */
    private static double putPair(Tensor weight, int n, int k, int kPad, Block block, IntArray wt, int base, int c) {
        int kSteps = kPad / block.bk;
        int slabs = block.bk / 16;
        int subs = block.bn / 8;
        float[] row0 = new float[k];
        float[] row1 = new float[k];
        double worst = 0;
        weight.readFloats((long) c * k, row0, 0, k);
        if (c + 1 < n) {
            weight.readFloats((long) (c + 1) * k, row1, 0, k);
        }
        int cb = c / block.bn;
        int inBlock = c - cb * block.bn;
        int sub = inBlock >> 3;
        int pair = (inBlock & 7) >> 1;
        for (int kk = 0; kk < k; kk++) {
            float v0 = row0[kk];
            float v1 = row1[kk];
            if (!(Math.abs(v0) <= F16_MAX) || !(Math.abs(v1) <= F16_MAX)) {
                throw new IllegalArgumentException("weight " + weight.shape() + " value "
                        + (Math.abs(v0) <= F16_MAX ? v1 : v0) + " at row " + c + ", column " + kk
                        + " is outside the fp16 range (|w| ≤ 65504): MmaLinear cannot hold it");
            }
            short h0 = Float.floatToFloat16(v0);
            short h1 = Float.floatToFloat16(v1);
            worst = Math.max(worst, Math.max(Math.abs(Float.float16ToFloat(h0) - v0), Math.abs(Float.float16ToFloat(h1) - v1)));
            int ks = kk / block.bk;
            int inStep = kk - ks * block.bk;
            int at = ((((cb * kSteps + ks) * slabs + (inStep >> 4)) * subs + sub) * 16 + (inStep & 15)) * 4 + pair;
            wt.set(base + at, (h0 & 0xffff) | (h1 & 0xffff) << 16);
        }
        return worst;
    }

    /** Largest |fp16(w) − w| over the weight (the host rounding to fp16, nearest even). */
    public double maxConversionError() {
        return maxConversionError;
    }

    @Override
    public int outFeatures() {
        return n;
    }

    @Override
    public int inFeatures() {
        return k;
    }

    /** How many layers' weights this holds. */
    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int rowMultiple() {
        return block.bm;
    }

    /** {@link #addTo(TaskGraph, GridScheduler, String, FloatArray, FloatArray, int, IntArray)} for layer 0. */
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m) {
        IntArray layer = IntArray.fromElements(0);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, layer);
        addTo(graph, grids, task, x, y, m, layer);
    }

    /**
     * Adds the tasks computing {@code y[0, m) = x[0, m)·W_ℓᵀ (+ b_ℓ)}, ℓ = {@code layer[0]} at each execution.
     *
     * @param layer {ℓ, …}: uploaded by the graph every execution, or already on the device
     */
    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray x, FloatArray y, int m, IntArray layer,
                      Bias withBias) {
        addProduct(graph, grids, task, halfTiles(graph, task, x, m), y, m, layer, withBias);
    }

    @Override
    public FloatArray biases() {
        if (bias != null) {
            return bias;
        }
        if (zeroBias == null) {
            zeroBias = new FloatArray(layers * n);
        }
        return zeroBias;
    }

    /** One x → fp16 tiles for all uses when every use is an MmaLinear of this block and k. */
    @Override
    public void addSharingInput(TaskGraph graph, GridScheduler grids, FloatArray x, int m, IntArray layer,
                                List<Use> uses) {
        if (!uses.stream().allMatch(u -> u.linear() instanceof MmaLinear l && l.block == block && l.k == k)) {
            DeviceLinear.super.addSharingInput(graph, grids, x, m, layer, uses);
            return;
        }
        HalfFloatArray xh = halfTiles(graph, uses.getFirst().task(), x, m);
        for (Use u : uses) {
            ((MmaLinear) u.linear()).addProduct(graph, grids, u.task(), xh, u.y(), m, layer, u.bias());
        }
    }

    /** The task converting x [m, k] into the fp16 tiles [m, kPad] of this block; returns the tiles (device scratch). */
    private HalfFloatArray halfTiles(TaskGraph graph, String task, FloatArray x, int m) {
        if (m % block.bm != 0 || m <= 0) {
            throw new IllegalArgumentException("MmaLinear rows " + m + " must be a positive multiple of " + block.bm);
        }
        // Uploaded once (zeros) so that the buffer exists on the device; the kernel overwrites it.
        HalfFloatArray xh = new HalfFloatArray(m * kPad);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, xh)
                .task(task + "ToHalf", MmaGemmKernels::toHalfTiles, x, xh, m, k, kPad, block.bm, block.bk, k, 1, 1f);
        return xh;
    }

    /** The MMA GEMM of the tiles xh and its bias epilogue into y [m, n]. */
    private void addProduct(TaskGraph graph, GridScheduler grids, String task, HalfFloatArray xh, FloatArray y, int m,
                            IntArray layer, Bias withBias) {
        // Device scratch (n not a multiple of the block width): the padded output.
        FloatArray out = nPad == n ? y : new FloatArray(m * nPad);
        boolean added = bias != null && withBias == Bias.ADDED;
        FloatArray b = added ? bias : new FloatArray(layers * n);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, wt, b);
        if (out != y) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, out);
        }
        KernelContext ctx = new KernelContext();
        int kSteps = kPad / block.bk;
        switch (block) {
            case M128N128K32 -> graph.task(task + "Mma", MmaGemmKernels::mma128x128k32, ctx, xh, wt, layer, out, kSteps, layerInts, nPad);
            case M128N256K16 -> graph.task(task + "Mma", MmaGemmKernels::mma128x256k16, ctx, xh, wt, layer, out, kSteps, layerInts, nPad);
            case M128N128K16 -> graph.task(task + "Mma", MmaGemmKernels::mma128x128k16, ctx, xh, wt, layer, out, kSteps, layerInts, nPad);
            case M128N128K32W64X32 -> unbatched(graph, task + "Mma", xh, wt, layer, out, kSteps, layerInts, nPad);
            default -> throw new IllegalStateException("block " + block);
        }
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + task + "Mma", Block.grid(m / block.bm, nPad / block.bn));
        if (out != y) {
            graph.task(task + "Bias", MmaGemmKernels::unpadBias, out, b, layer, y, m, n, nPad);
        } else if (added) {
            graph.task(task + "Bias", RowKernels::addBias, y, b, layer, m, n);
        }
    }

    /**
     * Task {@code task}: y[m, nPad] = x·wᵀ by {@link MmaGemmKernels#mma128x128k32w64x32} over one matrix (one batch, no
     * key window: the window array it is given is never read), w of layer layer[0] in stacked tiles layerInts apart.
     * Grid {@code Block.grid(m/128, nPad/128)}, added by the caller.
     *
     * @param xh [m/128, kSteps, 4096] fp16 A tiles
     * @param wt B tiles ({@link #putTiles})
     */
    static TaskGraph unbatched(TaskGraph graph, String task, HalfFloatArray xh, IntArray wt, IntArray layer, FloatArray y,
                               int kSteps, int layerInts, int nPad) {
        IntArray noWindow = new IntArray(2);
        return graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, noWindow)
                .task(task, MmaGemmKernels::mma128x128k32w64x32, new KernelContext(), xh, wt, layer, y, kSteps, layerInts,
                        nPad, nPad / Block.M128N128K32W64X32.bn, 0, 0, 0, 0, noWindow, 0);
    }

    /**
     * CPU reference of what this layer computes for row {@code r} of x [·, k]: fp16(x)·fp16(w)ᵀ in double,
     * plus the fp32 bias; {@code weight} is the original tensor.
     */
    public static double[] reference(Tensor weight, Tensor bias, float[] x, int r) {
        int n = weight.dim(0);
        int k = weight.dim(1);
        double[] out = new double[n];
        float[] w = new float[k];
        for (int c = 0; c < n; c++) {
            weight.readFloats((long) c * k, w, 0, k);
            double s = 0;
            for (int kk = 0; kk < k; kk++) {
                s += (double) Float.float16ToFloat(Float.floatToFloat16(x[r * k + kk])) * Float.float16ToFloat(Float.floatToFloat16(w[kk]));
            }
            out[c] = s + (bias == null ? 0 : bias.getFloat(c));
        }
        return out;
    }

    static int roundUp(int v, int multiple) {
        return (Math.max(v, 1) + multiple - 1) / multiple * multiple;
    }
}
