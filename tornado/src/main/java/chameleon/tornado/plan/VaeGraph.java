package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import chameleon.weights.ModuleWeights;
import java.util.ArrayList;
import java.util.List;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * One half of the Wan2.2 VAE (the encoder or the decoder) on the device: its modules walked by checkpoint name into
 * {@link GraphOp}s over pooled channels-last volumes ({@link VolumePool}), every call simulated to size volumes and
 * grids, then the ops built once into a {@link GraphChain}. Parameters live in {@link StackedParameters}, the live
 * sizes of a call in {@link CallGeometry}.
 *
 * <p>This class walks the modules both halves share (MODEL.md §3.2: {@code ResidualBlock}, {@code AttentionBlock},
 * {@code RMS_norm}, plain convolutions); a subclass walks its own structure and says how a causal 3×3×3
 * convolution runs ({@link #causalConv}).
 */
abstract class VaeGraph implements AutoCloseable {
    final StackedParameters params;
    final CallGeometry geometry = new CallGeometry();
    final VolumePool pool = new VolumePool();
    final List<GraphOp> ops = new ArrayList<>();
    private GraphChain chain;

    /** @param mma convolutions on tensor cores (fp16 operands) rather than in fp32 */
    VaeGraph(boolean mma) {
        this.params = new StackedParameters(mma);
    }

    /**
     * A causal 3×3×3 {@code CausalConv3d} of module m (MODEL.md §3.2) on x into a new volume, with its bias.
     * The decoder's read and update a feature-cache slot; the encoder's, on a single image, see only zero frames
     * before x.
     */
    abstract Volume causalConv(ModuleWeights m, Volume x);

    /** {@code ResidualBlock}: x [T, H, W, in] → a new volume [T, H, W, out]; x is left as it was. */
    final Volume residual(ModuleWeights m, Volume x, int in, int out) {
        ModuleWeights r = m.child("residual");
        Volume a = pool.take();
        norm(r.child(0), x, a, true);
        Volume b = causalConv(r.child(2), a);
        pool.release(a);
        Volume c = pool.take();
        norm(r.child(3), b, c, true);
        pool.release(b);
        Volume y = causalConv(r.child(6), c);
        pool.release(c);
        if (in != out) {
            Volume s = conv(weight(m.child("shortcut"), null), x, ConvSampling.SAME, false);
            add(y, s);
            pool.release(s);
        } else {
            add(y, x);
        }
        return y;
    }

    /**
     * A stage's residual blocks {@code seq.0 … seq.(count − 1)}, the first mapping in → out channels: x → a new
     * volume (x itself when count = 0); x is left as it was.
     */
    final Volume residuals(ModuleWeights seq, Volume x, int count, int in, int out) {
        Volume y = x;
        for (int i = 0; i < count; i++) {
            Volume next = residual(seq.child(i), y, i == 0 ? in : out, out);
            if (y != x) {
                pool.release(y);
            }
            y = next;
        }
        return y;
    }

    /** The middle {@code AttentionBlock} in place on x (one frame of {@code tokens} = h·w, a single head of width c). */
    final void attention(ModuleWeights m, Volume x, int c, int tokens) {
        Volume n = pool.take();
        norm(m.child("norm"), x, n, false);
        ModuleWeights qkv = m.child("to_qkv");
        Tensor wQkv = qkv.tensor("weight", 3 * c, c, 1, 1);
        Tensor bQkv = qkv.tensor("bias", 3 * c);
        Volume[] qkvOut = new Volume[3];
        for (int i = 0; i < 3; i++) {
            qkvOut[i] = pool.take();
            ConvWeight cw = params.conv(qkv.prefix() + "weight[" + i * c + ":" + (i + 1) * c + "]",
                    wQkv.rows(i * c, (i + 1) * c).reshape(c, c, 1, 1, 1), bQkv.rows(i * c, (i + 1) * c));
            conv(cw, n, ConvSampling.SAME, false, qkvOut[i]);
        }
        pool.release(n);
        Volume o = pool.take();
        ops.add(new AttentionOp("attn", qkvOut[0], qkvOut[1], qkvOut[2], o, c, tokens));
        for (Volume b : qkvOut) {
            pool.release(b);
        }
        ModuleWeights proj = m.child("proj");
        Volume p = conv(weight(proj, proj.tensor("weight", c, c, 1, 1).reshape(c, c, 1, 1, 1)), o, ConvSampling.SAME, false);
        pool.release(o);
        add(x, p);
        pool.release(p);
    }

    /** {@code RMS_norm} of module m ({@code gamma}), x → y, then SiLU when asked. */
    final void norm(ModuleWeights m, Volume x, Volume y, boolean silu) {
        float[] g = m.tensor("gamma", m.dims("gamma")).toFloatArray();
        ops.add(new NormOp(m.prefix() + "gamma", x, y, params.gamma(g), g.length, silu, geometry, params));
    }

    /** x += y. */
    final void add(Volume x, Volume y) {
        ops.add(new AddOp("add" + ops.size(), x, y, geometry));
    }

    /** A convolution into a new volume (bias added). */
    final Volume conv(ConvWeight cw, Volume x, ConvSampling sampling, boolean cached) {
        Volume y = pool.take();
        conv(cw, x, sampling, cached, y);
        return y;
    }

    /** A convolution into {@code dst} (bias added), through a scratch volume when the GEMM's rows are padded. */
    final ConvOp conv(ConvWeight cw, Volume x, ConvSampling sampling, boolean cached, Volume dst) {
        Volume raw = cw.ldy() == cw.cout ? dst : pool.take();
        ConvOp op = new ConvOp(cw, sampling, x, raw, dst, cached, false, geometry, params);
        ops.add(op);
        if (raw != dst) {
            pool.release(raw);
        }
        return op;
    }

    /**
     * Module m's convolution ({@code weight}, {@code bias}); {@code weight} overrides {@code m.weight} when not null.
     * A Conv2d [Cout, Cin, kh, kw] (the Resample's) becomes [Cout, Cin, 1, kh, kw].
     */
    final ConvWeight weight(ModuleWeights m, Tensor weight) {
        Tensor wt = weight != null ? weight : m.tensor("weight", m.dims("weight"));
        if (wt.shape().rank() == 4) {
            wt = wt.reshape(wt.dim(0), wt.dim(1), 1, wt.dim(2), wt.dim(3));
        }
        return params.conv(m.prefix() + "weight", wt, m.tensor("bias", wt.dim(0)));
    }

    /** Simulates a call: every op sets its live shapes and geometry. */
    final void simulate(boolean first) {
        for (GraphOp op : ops) {
            op.prepare(first);
        }
    }

    /**
     * Stacks the parameters, allocates the volumes and builds the chain (executing its upload graph).
     *
     * @param input  the volume the host fills before each call; {@code output} the array read back after it
     */
    final void build(String title, Volume input, FloatArray output) {
        params.stack();
        input.allocate();
        List<Object> shared = new ArrayList<>(params.deviceArrays());
        for (Volume v : pool.volumes()) {
            v.allocate();
            shared.add(v.array);
        }
        chain = new GraphChain(title, ops, shared, List.of(input.array, geometry.device()), output);
    }

    /** Runs a call whose geometry {@link #simulate} has just written and whose input is on the host. */
    final void run() {
        geometry.upload();
        chain.run();
    }

    /** Device bytes of the graph's arrays (weights, activations, caches). */
    public long bytes() {
        return chain.bytes();
    }

    /** Largest |fp16(w) − w| of the convolution weights (0 in fp32 mode). */
    public double maxConversionError() {
        return params.maxConversionError();
    }

    /** With {@code -Dchameleon.tornado.profile=true}: each task's device time in the latest call; else empty. */
    public String profileReport() {
        return chain == null ? "" : chain.profileReport();
    }

    @Override
    public void close() {
        if (chain != null) {
            chain.close();
            chain = null;
        }
    }
}
