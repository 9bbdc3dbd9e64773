package chameleon.tornado.plan;

import chameleon.tornado.kernels.CausalConvKernels;
import chameleon.tornado.kernels.FrameKernels;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A {@code CausalConv3d} (or the Resample's Conv2d as kt = 1, or a 1×1 linear) of a VAE graph:
 * {@link CausalConvKernels} into {@code raw} [positions, ldy], then the bias into {@code dst} [positions, Cout] (in
 * place when raw = dst), then, when cached, the feature-cache slot update (MODEL.md §3.4). A {@code timeConv}
 * (the decoder's upsample3d) follows its own rules: skipped on a stream's first call, which stores one zero frame
 * (the official "Rep"), and its bias is left to the interleave that follows.
 */
final class ConvOp extends GraphOp {
    /** Output positions per work group of {@link CausalConvKernels#convMma}. */
    static final int ROWS = 128;

    final ConvWeight cw;
    private final ConvSampling sampling;
    private final Volume x, raw, dst;
    private final boolean cached, timeConv;
    private final CallGeometry geo;
    private final StackedParameters params;
    private final int at, cacheAt;
    private FloatArray cache;
    private long cacheFrame = -1;
    private long maxPositions;
    private int held;
    private boolean skipped;

    /**
     * @param x   input [T, H, W, Cin]; {@code raw} the GEMM output [positions, ldy]; {@code dst} [T', H', W', Cout]
     *            with the bias (raw = dst when ldy = Cout)
     */
    ConvOp(ConvWeight cw, ConvSampling sampling, Volume x, Volume raw, Volume dst, boolean cached, boolean timeConv,
           CallGeometry geo, StackedParameters params) {
        this.cw = cw;
        this.sampling = sampling;
        this.x = x;
        this.raw = raw;
        this.dst = dst;
        this.cached = cached;
        this.timeConv = timeConv;
        this.geo = geo;
        this.params = params;
        this.at = geo.reserve(CausalConvKernels.GEO);
        this.cacheAt = cached ? geo.reserve(3) : -1;
    }

    /** Whether the latest simulated call skipped this convolution (upsample3d's first call). */
    boolean skipped() {
        return skipped;
    }

    @Override
    void reset() {
        held = 0;
    }

    @Override
    void prepare(boolean first) {
        if (x.c != cw.cin) {
            throw new IllegalStateException(cw.name + ": input has " + x.c + " channels, the weight " + cw.cin);
        }
        int t = x.t, hs = x.h, ws = x.w;
        skipped = timeConv && first;
        int n = cached ? held : 0;
        int front = cw.kt - 1;
        int tOut = front + t - cw.kt + 1, hOut = sampling.outSize(hs, cw.kh), wOut = sampling.outSize(ws, cw.kw);
        int positions = skipped ? 0 : tOut * hOut * wOut;
        int[] g = geo.host();
        g[at + CausalConvKernels.CIN] = cw.cin;
        g[at + CausalConvKernels.CIN_PAD] = cw.cinPad;
        g[at + CausalConvKernels.T_IN] = t;
        g[at + CausalConvKernels.H_SRC] = hs;
        g[at + CausalConvKernels.W_SRC] = ws;
        g[at + CausalConvKernels.UP] = sampling.up() ? 1 : 0;
        g[at + CausalConvKernels.CACHED] = n;
        g[at + CausalConvKernels.FRONT] = front;
        g[at + CausalConvKernels.KT] = cw.kt;
        g[at + CausalConvKernels.KH] = cw.kh;
        g[at + CausalConvKernels.KW] = cw.kw;
        g[at + CausalConvKernels.PAD_H] = sampling.padBefore(cw.kh);
        g[at + CausalConvKernels.PAD_W] = sampling.padBefore(cw.kw);
        g[at + CausalConvKernels.T_OUT] = tOut;
        g[at + CausalConvKernels.H_OUT] = hOut;
        g[at + CausalConvKernels.W_OUT] = wOut;
        g[at + CausalConvKernels.POSITIONS] = positions;
        g[at + CausalConvKernels.COUT] = cw.cout;
        g[at + CausalConvKernels.STRIDE] = sampling.stride();
        long all = (long) tOut * hOut * wOut;
        maxPositions = Math.max(maxPositions, all);
        raw.need(MmaLinear.roundUp((int) Math.min(Integer.MAX_VALUE, all), ROWS) * (long) cw.ldy());
        if (!skipped) {
            dst.shape(tOut, hOut, wOut, cw.cout);
            raw.shape(tOut, hOut, wOut, cw.cout);
            raw.need(MmaLinear.roundUp(positions, ROWS) * (long) cw.ldy());
        }
        if (cached) {
            long frame = (long) hs * ws * cw.cin;
            if (cacheFrame >= 0 && cacheFrame != frame) {
                throw new IllegalStateException(cw.name + ": cache frame of " + frame + " values, built for " + cacheFrame);
            }
            cacheFrame = frame;
            g[cacheAt + FrameKernels.CACHE_HELD] = n;
            g[cacheAt + FrameKernels.CACHE_NEW] = t;
            g[cacheAt + FrameKernels.CACHE_MODE] = skipped ? FrameKernels.ZERO_FRAME : FrameKernels.KEEP_LAST;
            held = skipped ? 1 : Math.min(2, n + t);
        }
    }

    @Override
    List<Object> deviceArrays() {
        if (cached && cache == null) {
            cache = new FloatArray(Math.toIntExact(2 * cacheFrame));
            cache.init(0f);
        }
        return cached ? List.of(cache) : List.of();
    }

    @Override
    int tasks() {
        return 1 + (timeConv ? 0 : 1) + (cached ? 1 : 0);
    }

    @Override
    void addTasks(TaskGraph g, GridScheduler grids) {
        String name = taskName(cw.name.replace(".weight", ""));
        FloatArray c = cached ? cache : params.placeholder();
        int rowBlocks = MmaLinear.roundUp((int) Math.max(1, maxPositions), ROWS) / ROWS;
        MmaLinear.Block block = StackedParameters.BLOCK;
        if (params.mma()) {
            g.task(name, CausalConvKernels::convMma, new KernelContext(), x.array, c, params.tiles(), raw.array, geo.device(),
                    at, cw.wOff, cw.kPad / block.bk, cw.ldy());
            grids.addWorkerGrid(g.getTaskGraphName() + "." + name, MmaLinear.Block.grid(rowBlocks, cw.nPad / block.bn));
        } else {
            g.task(name, CausalConvKernels::convF32, x.array, c, params.f32(), raw.array, geo.device(), at, cw.wOff,
                    (int) Math.max(1, maxPositions), cw.cout, cw.kPad, cw.ldy());
        }
        int cap = Math.toIntExact(Math.max(1, maxPositions * cw.cout));
        if (timeConv) {
            // its bias is added by the interleave that follows
        } else if (raw == dst) {
            g.task(name + "_bias", FrameKernels::biasRowsInPlace, dst.array, params.biases(), geo.device(),
                    at + CausalConvKernels.POSITIONS, cw.bOff, cw.cout, cap);
        } else {
            g.task(name + "_bias", FrameKernels::biasRows, raw.array, params.biases(), dst.array, geo.device(),
                    at + CausalConvKernels.POSITIONS, cw.bOff, cw.cout, cw.ldy(), cap);
        }
        if (cached) {
            g.task(name + "_cache", FrameKernels::cacheUpdate, cache, x.array, geo.device(), cacheAt, (int) cacheFrame);
        }
    }
}
