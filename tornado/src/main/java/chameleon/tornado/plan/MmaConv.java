package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.ConvKernels;
import chameleon.tornado.kernels.HalfKernels;
import chameleon.tornado.kernels.MmaGemmKernels;
import java.lang.foreign.MemorySegment;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * conv3d on tensor cores: the GEMM {@code Y[p, co] = Σ_c A[p, c]·W[co, c]} with M = output positions,
 * N = Cout, K = Cin·kt·kh·kw, run by {@link MmaGemmKernels#mma128x128k32w64x32} (the DiT's fp16 MMA GEMM,
 * fp32 accumulation) on an explicit im2col of the input ({@link ConvKernels#im2colTiles}) in slabs of
 * {@link #rows()} output positions, so the fp16 patch scratch stays ≤ {@link #SCRATCH_BYTES}.
 *
 * <p>A capacity plan, like {@link VolumePlans}: it serves every convolution with the same padded K and
 * padded Cout ({@code kPad}, {@code nPad}: the GEMM's k-step count and output row length are task
 * arguments fixed at graph build) whose input and output fit its power-of-two capacities; sizes come in the
 * geometry array at run time. The backend keeps one plan per (kPad, nPad) and rebuilds it larger when a call
 * outgrows it ({@link #grow}). Its device buffers (input, patch slab, GEMM slab, output) are shared by
 * every layer it serves. Two graphs in one execution plan:
 * <ol>
 *   <li>{@code load}: uploads x, the weight (fp16, pre-tiled once per weight tensor on the host:
 *       {@link Weight}), the bias and the geometry; x → fp16 on the device (halves the im2col's reads);</li>
 *   <li>{@code slab}, once per slab of positions (slab start uploaded): im2col → MMA GEMM → scatter into
 *       y [Cout, positions] + bias; y comes down after the last slab.</li>
 * </ol>
 * The weight travels with each call (≤ 56 MB for a 1024² 3×3×3 kernel, a few percent of the activation
 * traffic of the same call): a device copy per weight would need a graph per weight, and TornadoVM JITs
 * every task of every graph on its own. PTX/CUDA backends only (MMA).
 */
public final class MmaConv implements AutoCloseable {
    /** The GEMM block (the DiT's default, fastest on the H100: KERNELS.md). */
    static final MmaLinear.Block BLOCK = MmaLinear.Block.M128N128K32W64X32;
    /** Bound of the fp16 patch slab and of the fp32 GEMM slab (bytes each). */
    public static final long SCRATCH_BYTES = 512L << 20;

    /** A conv weight [Cout, Cin, kt, kh, kw] as the GEMM's fp16 B tiles of its [Cout, K] view, made once. */
    public record Weight(IntArray tiles, int cOut, int k, int kPad, int nPad, double maxConversionError) {
        /** @throws IllegalArgumentException if a weight value is outside the fp16 range */
        public static Weight of(Tensor w) {
            if (w.shape().rank() != 5) {
                throw new IllegalArgumentException("conv3d weight must be [Cout, Cin, kt, kh, kw], got " + w.shape());
            }
            int cOut = w.dim(0);
            long kLong = w.numel() / cOut;
            if (kLong > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("conv3d weight " + w.shape() + ": K too large");
            }
            int k = (int) kLong;
            int kPad = MmaLinear.roundUp(k, BLOCK.bk);
            int nPad = MmaLinear.roundUp(cOut, BLOCK.bn);
            IntArray tiles = new IntArray(Math.multiplyExact(nPad / 2, kPad));
            tiles.init(0);
            double err = MmaLinear.putTiles(w.reshape(cOut, k), cOut, k, kPad, BLOCK, tiles, 0);
            return new Weight(tiles, cOut, k, kPad, nPad, err);
        }

        /** Whether this was made from a weight of this shape (the cache key is the weight's memory). */
        public boolean fits(Tensor w) {
            return w.shape().rank() == 5 && w.dim(0) == cOut && w.numel() / cOut == k;
        }
    }

    private final int kPad;
    private final int nPad;
    private final int xCap;
    private final int yCap;
    private final int posCap;
    private final int rows;
    private final FloatArray x;
    private final FloatArray bias;
    private final FloatArray y;
    private final IntArray wt;
    private final IntArray g;
    private final IntArray slab;
    private final TornadoExecutionPlan plan;
    private final boolean profile;
    private long kernelNanos;
    private long calls;

    /**
     * @param xCap    input elements the plan holds; {@code yCap} output elements (Cout·positions)
     * @param posCap  output positions a call may have (bounds the slab height)
     * @param profile time the kernels with TornadoVM's profiler ({@link #kernelNanos()})
     */
    private final long bytes;

    /** Bytes of the buffers this plan holds, on the host and again on the device. */
    public long bytes() {
        return bytes;
    }

    public MmaConv(int kPad, int nPad, int xCap, int yCap, int posCap, boolean profile) {
        if (kPad % BLOCK.bk != 0 || nPad % BLOCK.bn != 0) {
            throw new IllegalArgumentException("MmaConv: kPad " + kPad + " / nPad " + nPad + " must be multiples of "
                    + BLOCK.bk + " / " + BLOCK.bn);
        }
        this.kPad = kPad;
        this.nPad = nPad;
        this.xCap = xCap;
        this.yCap = yCap;
        this.posCap = posCap;
        this.profile = profile;
        // Slab height: all positions when they fit, else as many blocks of 128 rows as the scratch bound allows.
        long byK = SCRATCH_BYTES / (2L * kPad), byN = SCRATCH_BYTES / (4L * nPad);
        long fit = Math.min(byK, byN) / BLOCK.bm * BLOCK.bm;
        this.rows = (int) Math.max(BLOCK.bm, Math.min(fit, MmaLinear.roundUp(posCap, BLOCK.bm)));
        this.x = new FloatArray(xCap);
        this.bias = new FloatArray(nPad);
        this.y = new FloatArray(yCap);
        this.wt = new IntArray(nPad / 2 * kPad);
        this.g = new IntArray(ConvKernels.GEOMETRY);
        this.slab = new IntArray(1);
        HalfFloatArray xv = new HalfFloatArray(xCap);
        HalfFloatArray xh = new HalfFloatArray(Math.multiplyExact(rows, kPad));
        FloatArray yPad = new FloatArray(Math.multiplyExact(rows, nPad));
        this.bytes = x.getNumBytesOfSegment() + bias.getNumBytesOfSegment() + y.getNumBytesOfSegment()
                + wt.getNumBytesOfSegment() + xv.getNumBytesOfSegment() + xh.getNumBytesOfSegment()
                + yPad.getNumBytesOfSegment();
        IntArray layer = IntArray.fromElements(0);
        String loadName = Plan.uniqueName("convLoad");
        String slabName = Plan.uniqueName("convSlab");
        TaskGraph load = new TaskGraph(loadName)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, wt, bias, g)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, xv)
                .task("toHalf", HalfKernels::toHalf, x, xv, xCap)
                .persistOnDevice(xv, wt, bias, g);
        // The slab graph runs after load (first slab) or after itself (later slabs): it consumes from both.
        TaskGraph slabs = new TaskGraph(slabName)
                .consumeFromDevice(loadName, xv, wt, bias, g)
                .consumeFromDevice(slabName, xv, wt, bias, g)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, slab)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, xh, yPad, y, layer)
                .task("im2col", ConvKernels::im2colTiles, xv, xh, g, slab, rows, kPad, BLOCK.bm);
        MmaLinear.unbatched(slabs, "mma", xh, wt, layer, yPad, kPad / BLOCK.bk, 0, nPad)
                .task("scatter", ConvKernels::scatterBias, yPad, bias, y, g, slab, rows, nPad)
                .transferToHost(DataTransferMode.UNDER_DEMAND, y)
                .persistOnDevice(xv, wt, bias, g);
        GridScheduler grids = new GridScheduler(slabName + ".mma", MmaLinear.Block.grid(rows / BLOCK.bm, nPad / BLOCK.bn));
        TornadoExecutionPlan p = new TornadoExecutionPlan(load.snapshot(), slabs.snapshot()).withGridScheduler(grids);
        this.plan = profile ? p.withProfiler(ProfilerMode.SILENT) : p;
    }

    /**
     * The plan key of a convolution: padded K and Cout (fixed in the GEMM task). One plan per key, grown by
     * {@link #grow} when a call outgrows its buffers, so a kind of convolution holds one set of full-resolution
     * buffers rather than one per capacity bucket.
     */
    public static String key(Weight w) {
        return "mmaconv:" + w.kPad() + ":" + w.nPad();
    }

    /** A plan for this call: {@code old} when it serves it, else a new one with room for both (old is closed). */
    public static MmaConv grow(MmaConv old, Weight w, long xElements, long positions, boolean profile) {
        long yElements = (long) w.cOut() * positions;
        if (old != null && xElements <= old.xCap && yElements <= old.yCap && positions <= old.posCap) {
            return old;
        }
        int xc = VolumePlans.capacity(xElements), yc = VolumePlans.capacity(yElements), pc = posCap(positions);
        if (old != null) {
            xc = Math.max(xc, old.xCap);
            yc = Math.max(yc, old.yCap);
            pc = Math.max(pc, old.posCap);
            old.close();
        }
        return new MmaConv(w.kPad(), w.nPad(), xc, yc, pc, profile);
    }

    /** Output-position capacity bucket. */
    public static int posCap(long positions) {
        return VolumePlans.powerOfTwo(positions, 128);
    }

    /** Positions per slab. */
    public int rows() {
        return rows;
    }

    /** Device kernel time of all calls so far (0 unless built with profile). */
    public long kernelNanos() {
        return kernelNanos;
    }

    /** Calls so far. */
    public long calls() {
        return calls;
    }

    /**
     * y [Cout, tOut, hOut, wOut] = conv(x, w) + bias for the geometry {@code geo} ({@link ConvKernels#GEOMETRY}
     * ints, as {@link ConvKernels#conv3d} takes it).
     */
    public Tensor apply(Tensor xIn, Weight w, Tensor b, int[] geo) {
        int cOut = geo[ConvKernels.C_OUT];
        long positions = (long) geo[ConvKernels.T_OUT] * geo[ConvKernels.H_OUT] * geo[ConvKernels.W_OUT];
        if (w.kPad() != kPad || w.nPad() != nPad || xIn.numel() > xCap || (long) cOut * positions > yCap) {
            throw new IllegalArgumentException("MmaConv plan (kPad " + kPad + ", nPad " + nPad + ", x " + xCap + ", y "
                    + yCap + ") cannot serve x " + xIn.shape() + " with " + cOut + " × " + positions + " outputs");
        }
        HostCopy.put(xIn, x);
        MemorySegment.copy(w.tiles().getSegment(), 0, wt.getSegment(), 0, (long) wt.getSize() * Integer.BYTES);
        if (b == null) {
            bias.init(0f);
        } else {
            bias.init(0f);
            float[] bv = b.toFloatArray();
            for (int c = 0; c < cOut; c++) {
                bias.set(c, bv[c]);
            }
        }
        for (int i = 0; i < geo.length; i++) {
            g.set(i, geo[i]);
        }
        TornadoExecutionResult r = plan.withGraph(0).execute();
        account(r);
        for (long start = 0; start < positions; start += rows) {
            slab.set(0, (int) start);
            r = plan.withGraph(1).execute();
            account(r);
        }
        r.transferToHost(y);
        calls++;
        Tensor out = Tensor.zeros(cOut, geo[ConvKernels.T_OUT], geo[ConvKernels.H_OUT], geo[ConvKernels.W_OUT]);
        HostCopy.get(y, out);
        return out;
    }

    private void account(TornadoExecutionResult r) {
        if (profile) {
            kernelNanos += r.getProfilerResult().getDeviceKernelTime();
        }
    }

    @Override
    public void close() {
        Plan.free(plan, "MmaConv plan");
    }

    /**
     * CPU reference of output (co, p) of what this computes: Σ fp16(x)·fp16(w) in double + bias, for
     * x [Cin, T, H, W], w [Cout, Cin, kt, kh, kw] and geometry {@code geo}; {@code exact} skips the fp16
     * rounding (the convolution itself).
     */
    public static double reference(float[] x, float[] w, float[] b, int[] geo, int co, int p, boolean exact) {
        int cIn = geo[ConvKernels.C_IN], tIn = geo[ConvKernels.T_IN], hIn = geo[ConvKernels.H_IN], wIn = geo[ConvKernels.W_IN];
        int kt = geo[ConvKernels.KT], kh = geo[ConvKernels.KH], kw = geo[ConvKernels.KW];
        int hOut = geo[ConvKernels.H_OUT], wOut = geo[ConvKernels.W_OUT];
        int t = p / (hOut * wOut), oy = p / wOut % hOut, ox = p % wOut;
        double s = 0;
        int k = 0;
        for (int ci = 0; ci < cIn; ci++) {
            for (int dt = 0; dt < kt; dt++) {
                for (int dy = 0; dy < kh; dy++) {
                    for (int dx = 0; dx < kw; dx++, k++) {
                        int it = t * geo[ConvKernels.ST] + dt;
                        int iy = oy * geo[ConvKernels.SH] - geo[ConvKernels.PAD_TOP] + dy;
                        int ix = ox * geo[ConvKernels.SW] - geo[ConvKernels.PAD_LEFT] + dx;
                        if (iy < 0 || iy >= hIn || ix < 0 || ix >= wIn) {
                            continue;
                        }
                        float xv = x[((ci * tIn + it) * hIn + iy) * wIn + ix];
                        float wv = w[co * cIn * kt * kh * kw + k];
                        s += exact ? (double) xv * wv
                                : (double) Float.float16ToFloat(Float.floatToFloat16(xv)) * Float.float16ToFloat(Float.floatToFloat16(wv));
                    }
                }
            }
        }
        return s + (b == null ? 0 : b[co]);
    }
}
