package chameleon.tornado.plan;

import chameleon.layers.vae.VaeConfig;
import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.CausalConvKernels;
import chameleon.tornado.kernels.FrameKernels;
import chameleon.tornado.kernels.GemmKernels;
import chameleon.weights.ModuleWeights;
import chameleon.weights.TensorArchive;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The Wan2.2 VAE decoder ({@code decoder.*}, MODEL.md §3.3–3.4) as one chain of TaskGraphs that decodes one latent
 * frame per call with every causal feature-cache slot on the device: the host uploads the latent frame (after
 * {@code conv2}, channels-last [1, h, w, z]) and the geometry of the call, and downloads the pixels
 * [3, F, 16h, 16w]. Nothing else crosses the bus inside a frame.
 *
 * <p>The graph is static; what changes from call to call (1 pixel frame on the stream's first call, 4 later;
 * frames held by each cache slot; upsample3d's skipped temporal step on the first call) is uploaded as
 * geometry. The module tree is walked once ({@link GraphOp}s over pooled volumes, {@link VaeGraph}), then simulated
 * for the first, second and a steady call to size every volume and grid, and only then are the device arrays made
 * and the tasks added.
 *
 * <p>Convolutions: {@link CausalConvKernels#convMma} on tensor cores (PTX/CUDA), else
 * {@link CausalConvKernels#convF32}. The middle attention (one frame of h·w tokens, single head of width C)
 * runs as two {@link GemmKernels#linearF32} GEMMs around a row softmax.
 */
public final class DecoderGraph extends VaeGraph {
    private final int h;
    private final int w;
    private final int z;
    private final Volume input = new Volume("input"); // [1, h, w, z] the latent frame after conv2
    private final Volume headOut;                      // [F, 8h, 8w, 12] head output (+ bias)
    private final FloatArray out;                      // [3, F, 16h, 16w] pixels
    private int pixelFrames;
    private int maxPixelFrames = 1;

    /**
     * @param weights a {@code WanVAE_} state dict (official names); {@code decoder.*} is read
     * @param h       latent rows; {@code w} latent columns
     * @param mma     convolutions on tensor cores (fp16 operands) rather than in fp32
     */
    public DecoderGraph(TensorArchive weights, VaeConfig config, int h, int w, boolean mma) {
        super(mma);
        this.h = h;
        this.w = w;
        this.z = config.zDim();
        ModuleWeights dec = new ModuleWeights(weights, "decoder.");
        int[] dims = config.decoderDims();
        Volume x = causalConv(dec.child("conv1"), input);
        ModuleWeights mid = dec.child("middle");
        Volume next = residual(mid.child(0), x, dims[0], dims[0]);
        pool.release(x);
        x = next;
        attention(mid.child(1), x, dims[0], h * w);
        next = residual(mid.child(2), x, dims[0], dims[0]);
        pool.release(x);
        x = next;
        int n = config.dimMult().length;
        for (int i = 0; i < n; i++) {
            boolean temporal = i < config.temporalUpsample().length && config.temporalUpsample()[i];
            x = stage(dec.child("upsamples").child(i), x, dims[i], dims[i + 1], config.numResBlocks() + 1, temporal,
                    i != n - 1);
        }
        ModuleWeights head = dec.child("head");
        Volume normed = pool.take();
        norm(head.child(0), x, normed, true);
        pool.release(x);
        headOut = causalConv(head.child(2), normed);
        pool.release(normed);
        ops.add(new Unpatchify(headOut));
        // Size every volume and grid: the first call, the second (the caches' and upsample3d's special cases) and
        // a steady one.
        for (int call = 0; call < 3; call++) {
            prepare(call == 0);
        }
        out = new FloatArray(Math.toIntExact(Math.max(1, 3L * maxPixelFrames * 256L * h * w)));
        build("VAE decoder", input, out);
        reset();
    }

    /** Whether this graph decodes latent frames of h × w. */
    public boolean fits(int h, int w) {
        return this.h == h && this.w == w;
    }

    /** Forgets every cache slot: the next call is a stream's first. */
    public void reset() {
        for (GraphOp op : ops) {
            op.reset();
        }
    }

    /**
     * Decodes one latent frame.
     *
     * @param latent the frame after {@code conv2}, channel-first [z, 1, h, w]
     * @param first  the stream's first frame (one pixel frame, the caches start empty)
     * @return unclamped pixels [3, F, 16h, 16w], F = 1 on the first frame, 4 after
     */
    public Tensor decode(Tensor latent, boolean first) {
        if (latent.shape().rank() != 4 || latent.dim(0) != z || latent.dim(1) != 1 || latent.dim(2) != h || latent.dim(3) != w) {
            throw new IllegalArgumentException("decoder graph for [" + z + ", 1, " + h + ", " + w + "] got " + latent.shape());
        }
        if (first) {
            reset();
        }
        float[] v = latent.toFloatArray();
        int plane = h * w;
        FloatArray in = input.array;
        for (int c = 0; c < z; c++) {
            for (int s = 0; s < plane; s++) {
                in.set(s * z + c, v[c * plane + s]);
            }
        }
        prepare(first);
        run();
        Tensor pixels = Tensor.zeros(3, pixelFrames, 16 * h, 16 * w);
        HostCopy.get(out, pixels);
        return pixels;
    }

    /** The decoder's 3×3×3 convolutions read [zero frames, cached frames, x] and update their cache slot. */
    @Override
    Volume causalConv(ModuleWeights m, Volume x) {
        return conv(weight(m, null), x, ConvSampling.SAME, true);
    }

    // ---- the module tree ----

    /** {@code Up_ResidualBlock}: the residual blocks, then Resample + DupUp3D shortcut when the stage upsamples. */
    private Volume stage(ModuleWeights m, Volume x, int in, int out, int blocks, boolean temporal, boolean up) {
        ModuleWeights seq = m.child("upsamples");
        Volume y = residuals(seq, x, blocks, in, out);
        if (!up) {
            pool.release(x);
            return y;
        }
        ModuleWeights rs = seq.child(blocks);
        Volume spatialIn = y;
        if (temporal) {
            // time_conv: [T, H, W, C] → raw [T, H, W, 2C], interleaved to [2T, H, W, C] (or skipped on the first call)
            Volume raw = pool.take();
            ConvOp tc = new ConvOp(weight(rs.child("time_conv"), null), ConvSampling.SAME, y, raw, raw, true, true,
                    geometry, params);
            ops.add(tc);
            spatialIn = pool.take();
            ops.add(new Interleave(tc, y, raw, spatialIn));
            pool.release(raw);
            pool.release(y);
        }
        Volume result = conv(weight(rs.child("resample").child(1), null), spatialIn, ConvSampling.UPSAMPLED, false);
        pool.release(spatialIn);
        ops.add(new ShortcutOp("dupUp" + ops.size(), ShortcutOp.Kind.DUP_UP, result, x, in, out, temporal ? 2 : 1, 2, geometry));
        pool.release(x);
        return result;
    }

    // ---- sizing ----

    private void prepare(boolean first) {
        input.shape(1, h, w, z);
        simulate(first);
        pixelFrames = headOut.t;
    }

    /** upsample3d's frame interleave after {@code time_conv} (+ its bias), or a copy on the stream's first call. */
    private final class Interleave extends GraphOp {
        final ConvOp timeConv;
        final Volume x, raw, dst;
        int c = -1; // channels, fixed at the first prepare (a pool volume's live shape changes along the network)
        final int at = geometry.reserve(3);
        long cap = 1;

        Interleave(ConvOp timeConv, Volume x, Volume raw, Volume dst) {
            this.timeConv = timeConv;
            this.x = x;
            this.raw = raw;
            this.dst = dst;
        }

        @Override
        void prepare(boolean first) {
            int c = channels(this.c, x.c, "upsample3d interleave");
            this.c = c;
            int plane = x.h * x.w;
            int[] g = geometry.host();
            g[at + FrameKernels.IL_FRAMES] = x.t;
            g[at + FrameKernels.IL_PLANE] = plane;
            g[at + FrameKernels.IL_IDENTITY] = timeConv.skipped() ? 1 : 0;
            int t = timeConv.skipped() ? x.t : 2 * x.t;
            dst.shape(t, x.h, x.w, c);
            cap = Math.max(cap, (long) t * plane * c);
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            g.task(taskName(timeConv.cw.name.replace(".weight", "")) + "_interleave", FrameKernels::interleaveTime,
                    raw.array, params.biases(), x.array, dst.array, geometry.device(), at, timeConv.cw.bOff, c,
                    timeConv.cw.ldy(), Math.toIntExact(cap));
        }
    }

    /** The head output [F, 8h, 8w, 12] → pixels [3, F, 16h, 16w] in {@code out}. */
    private final class Unpatchify extends GraphOp {
        final Volume y;
        final int at = geometry.reserve(3);
        long cap = 1;

        Unpatchify(Volume y) {
            this.y = y;
        }

        @Override
        void prepare(boolean first) {
            if (y.c != VaeConfig.PATCH_CHANNELS) {
                throw new IllegalStateException("head output has " + y.c + " channels, expected " + VaeConfig.PATCH_CHANNELS);
            }
            int[] g = geometry.host();
            g[at + FrameKernels.UP_FRAMES] = y.t;
            g[at + FrameKernels.UP_ROWS] = y.h;
            g[at + FrameKernels.UP_COLS] = y.w;
            cap = Math.max(cap, 3L * y.t * 4 * y.h * y.w);
            maxPixelFrames = Math.max(maxPixelFrames, y.t);
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            g.task("unpatchify", FrameKernels::unpatchify, y.array, out, geometry.device(), at, Math.toIntExact(cap));
        }
    }
}
