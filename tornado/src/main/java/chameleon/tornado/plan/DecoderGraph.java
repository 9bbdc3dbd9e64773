package chameleon.tornado.plan;

import chameleon.layers.vae.VaeConfig;
import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.CausalConvKernels;
import chameleon.tornado.kernels.FrameKernels;
import chameleon.tornado.kernels.GemmKernels;
import chameleon.tornado.kernels.LayoutKernels;
import chameleon.tornado.kernels.RowKernels;
import chameleon.weights.ModuleWeights;
import chameleon.weights.TensorArchive;
import java.util.ArrayList;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The Wan2.2 VAE decoder ({@code decoder.*}, MODEL.md §3.3–3.4) as one TaskGraph that decodes one latent frame
 * per execution with every causal feature-cache slot on the device: the host uploads the latent frame (after
 * {@code conv2}, channels-last [1, h, w, z]) and the geometry of the call, and downloads the pixels
 * [3, F, 16h, 16w]. Nothing else crosses the bus inside a frame.
 *
 * <p>The graph is static; what changes from call to call (1 pixel frame on the stream's first call, 4 later;
 * frames held by each cache slot; upsample3d's skipped temporal step on the first call) is uploaded as
 * geometry. The module tree is walked once ({@link Op}s with their buffers), then simulated for the first,
 * second and a steady call to size every buffer and grid, and only then are the device arrays made and the
 * tasks added. Activations live channels-last ([T, H, W, C]: a channel norm is a row norm, and a convolution's
 * GEMM output is already in that layout) in a pool of F32 buffers reused along the network.
 *
 * <p>Convolutions: {@link CausalConvKernels#convMma} on tensor cores (PTX/CUDA), else
 * {@link CausalConvKernels#convF32}. The middle attention (one frame of h·w tokens, single head of width C)
 * runs as two {@link GemmKernels#linearF32} GEMMs around a row softmax.
 */
public final class DecoderGraph implements AutoCloseable {
    private static final MmaLinear.Block BLOCK = MmaLinear.Block.M128N128K32W64X32;
    private static final int ROWS = 128; // output positions per GEMM work group
    private static final int TASKS_PER_GRAPH = 64;

    private final boolean mma;
    private final int h;
    private final int w;
    private final int z;
    private final List<Op> ops = new ArrayList<>();
    private final List<Buf> pool = new ArrayList<>();
    private final List<Buf> free = new ArrayList<>();
    private final List<ConvWeight> convs = new ArrayList<>();
    private final List<float[]> gammaList = new ArrayList<>();
    private int gammaFloats;
    private int geoInts;

    private final Buf input;       // [1, h, w, z] the latent frame after conv2
    private FloatArray out;        // [3, F, 16h, 16w] pixels
    private Buf headOut;           // [F, 8h, 8w, 12] head output (+ bias)
    private int[] geoHost;
    private IntArray geo;
    private IntArray wTiles;       // MMA: stacked B tiles of every convolution
    private FloatArray wF32;       // fp32: stacked [Cout, kPad] weights
    private FloatArray biases;     // stacked conv biases
    private FloatArray gammas;     // stacked RMS_norm gammas
    private final FloatArray dummy = new FloatArray(1);
    private TornadoExecutionPlan plan;
    private int graphs;            // decoding graphs 1..graphs (graph 0 uploads once)
    private final boolean profiling = Boolean.getBoolean("chameleon.tornado.profile");
    private final TaskTimes times = new TaskTimes();
    private long bytes;
    private int pixelFrames;
    private double maxConversionError;

    /**
     * @param weights a {@code WanVAE_} state dict (official names); {@code decoder.*} is read
     * @param h       latent rows; {@code w} latent columns
     * @param mma     convolutions on tensor cores (fp16 operands) rather than in fp32
     */
    public DecoderGraph(TensorArchive weights, VaeConfig config, int h, int w, boolean mma) {
        this.mma = mma;
        this.h = h;
        this.w = w;
        this.z = config.zDim();
        this.input = new Buf("input");
        ModuleWeights dec = new ModuleWeights(weights, "decoder.");
        int[] dims = config.decoderDims();
        Buf x = conv(dec.child("conv1"), input, true, false, null);
        ModuleWeights mid = dec.child("middle");
        Buf next = residual(mid.child(0), x, dims[0], dims[0]);
        release(x);
        x = next;
        attention(mid.child(1), x, dims[0]);
        next = residual(mid.child(2), x, dims[0], dims[0]);
        release(x);
        x = next;
        int n = config.dimMult().length;
        for (int i = 0; i < n; i++) {
            boolean temporal = i < config.temporalUpsample().length && config.temporalUpsample()[i];
            x = stage(dec.child("upsamples").child(i), x, dims[i], dims[i + 1], config.numResBlocks() + 1, temporal,
                    i != n - 1);
        }
        ModuleWeights head = dec.child("head");
        Buf normed = take();
        norm(head.child(0), x, normed, true);
        release(x);
        headOut = conv(head.child(2), normed, true, false, null);
        release(normed);
        ops.add(new Unpatchify(headOut));
        // Size every buffer and grid: the first call, the second (the caches' and upsample3d's special cases) and
        // a steady one.
        for (int call = 0; call < 3; call++) {
            prepare(call == 0);
        }
        allocate(weights);
        reset();
    }

    /** Whether this graph decodes latent frames of h × w. */
    public boolean fits(int h, int w) {
        return this.h == h && this.w == w;
    }

    /** Device bytes of the graph's arrays (weights, activations, caches). */
    public long bytes() {
        return bytes;
    }

    /** Largest |fp16(w) − w| of the convolution weights (0 in fp32 mode). */
    public double maxConversionError() {
        return maxConversionError;
    }

    /** Forgets every cache slot: the next call is a stream's first. */
    public void reset() {
        for (Op op : ops) {
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
        for (int i = 0; i < geoHost.length; i++) {
            geo.set(i, geoHost[i]);
        }
        TornadoExecutionResult r = null;
        for (int i = 1; i <= graphs; i++) {
            r = plan.withGraph(i).execute();
            if (profiling) {
                times.record(r);
            }
        }
        r.transferToHost(out);
        int frames = pixelFrames;
        Tensor pixels = Tensor.zeros(3, frames, 16 * h, 16 * w);
        HostCopy.get(out, pixels);
        return pixels;
    }

    /** With {@code -Dchameleon.tornado.profile=true}: each task's device time in the latest call; else empty. */
    public String profileReport() {
        return profiling ? String.format(java.util.Locale.ROOT, "VAE decoder graph, latest call: %.2f ms device%n%s",
                times.totalNanos() / 1e6, times.report()) : "";
    }

    @Override
    public void close() {
        if (plan != null) {
            Plan.free(plan, "VAE decoder graph");
            plan = null;
        }
    }

    // ---- the module tree ----

    /** {@code ResidualBlock}: x [T, H, W, in] → a new buffer [T, H, W, out]; x is left as it was. */
    private Buf residual(ModuleWeights m, Buf x, int in, int out) {
        ModuleWeights r = m.child("residual");
        Buf a = take();
        norm(r.child(0), x, a, true);
        Buf b = conv(r.child(2), a, true, false, null);
        release(a);
        Buf c = take();
        norm(r.child(3), b, c, true);
        release(b);
        Buf y = conv(r.child(6), c, true, false, null);
        release(c);
        if (in != out) {
            Buf s = conv(m.child("shortcut"), x, false, false, null);
            ops.add(new Add(y, s));
            release(s);
        } else {
            ops.add(new Add(y, x));
        }
        return y;
    }

    /** {@code Up_ResidualBlock}: the residual blocks, then Resample + DupUp3D shortcut when the stage upsamples. */
    private Buf stage(ModuleWeights m, Buf x, int in, int out, int blocks, boolean temporal, boolean up) {
        ModuleWeights seq = m.child("upsamples");
        Buf y = x;
        for (int i = 0; i < blocks; i++) {
            Buf next = residual(seq.child(i), y, i == 0 ? in : out, out);
            if (y != x) {
                release(y);
            }
            y = next;
        }
        if (!up) {
            release(x);
            return y;
        }
        ModuleWeights rs = seq.child(blocks);
        Buf spatialIn = y;
        if (temporal) {
            // time_conv: [T, H, W, C] → raw [T, H, W, 2C], interleaved to [2T, H, W, C] (or skipped on the first call)
            Buf raw = take();
            Conv tc = new Conv(weight(rs.child("time_conv"), null), y, raw, raw, true, true, false);
            ops.add(tc);
            spatialIn = take();
            ops.add(new Interleave(tc, y, raw, spatialIn));
            release(raw);
            release(y);
        }
        Buf result = conv(rs.child("resample").child(1), spatialIn, false, true, null);
        release(spatialIn);
        ops.add(new DupUp(result, x, in, out, temporal ? 2 : 1, 2));
        release(x);
        return result;
    }

    /** The middle {@code AttentionBlock} in place on x (one frame of h·w tokens, a single head of width c). */
    private void attention(ModuleWeights m, Buf x, int c) {
        Buf n = take();
        norm(m.child("norm"), x, n, false);
        ModuleWeights qkv = m.child("to_qkv");
        Tensor wQkv = qkv.tensor("weight", 3 * c, c, 1, 1);
        Tensor bQkv = qkv.tensor("bias", 3 * c);
        Buf[] qkvOut = new Buf[3];
        for (int i = 0; i < 3; i++) {
            qkvOut[i] = take();
            ConvWeight cw = weight(qkv.prefix() + "weight[" + i * c + ":" + (i + 1) * c + "]",
                    wQkv.rows(i * c, (i + 1) * c).reshape(c, c, 1, 1, 1), bQkv.rows(i * c, (i + 1) * c));
            Buf raw = cw.ldy() == c ? qkvOut[i] : take();
            ops.add(new Conv(cw, n, raw, qkvOut[i], false, false, false));
            if (raw != qkvOut[i]) {
                release(raw);
            }
        }
        release(n);
        Buf o = take();
        ops.add(new Attention(qkvOut[0], qkvOut[1], qkvOut[2], o, c));
        for (Buf b : qkvOut) {
            release(b);
        }
        ModuleWeights proj = m.child("proj");
        Buf p = conv(proj, o, false, false, proj.tensor("weight", c, c, 1, 1).reshape(c, c, 1, 1, 1));
        release(o);
        ops.add(new Add(x, p));
        release(p);
    }

    private void norm(ModuleWeights m, Buf x, Buf y, boolean silu) {
        float[] g = m.tensor("gamma", m.dims("gamma")).toFloatArray();
        gammaList.add(g);
        ops.add(new Norm(x, y, gammaFloats, g.length, silu));
        gammaFloats += g.length;
    }

    /** A convolution of module m into a new buffer (bias added); {@code weight} overrides {@code m.weight}. */
    private Buf conv(ModuleWeights m, Buf x, boolean cached, boolean up, Tensor weight) {
        ConvWeight cw = weight(m, weight);
        Buf y = take();
        Buf raw = cw.ldy() == cw.cout ? y : take();
        ops.add(new Conv(cw, x, raw, y, cached, false, up));
        if (raw != y) {
            release(raw);
        }
        return y;
    }

    /** Module m's convolution ({@code weight}, {@code bias}); {@code weight} overrides {@code m.weight} when not null. */
    private ConvWeight weight(ModuleWeights m, Tensor weight) {
        Tensor wt = weight != null ? weight : m.tensor("weight", m.dims("weight"));
        if (wt.shape().rank() == 4) { // Conv2d [Cout, Cin, kh, kw] of the Resample
            wt = wt.reshape(wt.dim(0), wt.dim(1), 1, wt.dim(2), wt.dim(3));
        }
        return weight(m.prefix() + "weight", wt, m.tensor("bias", wt.dim(0)));
    }

    private ConvWeight weight(String name, Tensor w, Tensor b) {
        if (w.shape().rank() != 5 || w.dim(1) % 2 != 0) {
            throw new IllegalArgumentException(name + ": expected [Cout, Cin (even), kt, kh, kw], got " + w.shape());
        }
        int cout = w.dim(0), cin = w.dim(1), kt = w.dim(2), kh = w.dim(3), kw = w.dim(4);
        int cinPad = MmaLinear.roundUp(cin, BLOCK.bk);
        int kPad = kt * kh * kw * cinPad;
        int nPad = MmaLinear.roundUp(cout, BLOCK.bn);
        ConvWeight cw = new ConvWeight(name, w, b, cin, cout, kt, kh, kw, cinPad, kPad, nPad);
        convs.add(cw);
        return cw;
    }

    private Buf take() {
        if (!free.isEmpty()) {
            return free.removeLast();
        }
        Buf b = new Buf("pool" + pool.size());
        pool.add(b);
        return b;
    }

    private void release(Buf b) {
        if (b != input && !free.contains(b)) {
            free.add(b);
        }
    }

    private int geoSlots(int n) {
        int at = geoInts;
        geoInts += n;
        return at;
    }

    // ---- sizing, arrays and tasks ----

    private void prepare(boolean first) {
        if (geoHost == null || geoHost.length != geoInts) {
            geoHost = new int[geoInts];
        }
        input.shape(1, h, w, z);
        for (Op op : ops) {
            op.prepare(first);
        }
        pixelFrames = headOut.t;
    }

    private void allocate(TensorArchive weights) {
        // Weights: conv weights in the tap-major K order, stacked.
        long tileInts = 0, f32 = 0;
        int biasFloats = 0;
        for (ConvWeight c : convs) {
            c.wOff = Math.toIntExact(mma ? tileInts : f32);
            c.bOff = biasFloats;
            tileInts += (long) c.nPad / 2 * c.kPad;
            f32 += (long) c.cout * c.kPad;
            biasFloats += c.nPad;
        }
        biases = new FloatArray(Math.max(1, biasFloats));
        biases.init(0f);
        if (mma) {
            wTiles = new IntArray(Math.toIntExact(tileInts));
            wTiles.init(0);
        } else {
            wF32 = new FloatArray(Math.toIntExact(f32));
        }
        for (ConvWeight c : convs) {
            float[] reordered = c.tapMajor();
            if (mma) {
                maxConversionError = Math.max(maxConversionError, MmaLinear.putTiles(Tensor.of(reordered, c.cout, c.kPad),
                        c.cout, c.kPad, c.kPad, BLOCK, wTiles, c.wOff));
            } else {
                for (int i = 0; i < reordered.length; i++) {
                    wF32.set(c.wOff + i, reordered[i]);
                }
            }
            float[] bv = c.bias.toFloatArray();
            for (int i = 0; i < c.cout; i++) {
                biases.set(c.bOff + i, bv[i]);
            }
            c.weight = null; // the host copy is no longer needed
        }
        gammas = new FloatArray(Math.max(1, gammaFloats));
        int o = 0;
        for (float[] g : gammaList) {
            for (float v : g) {
                gammas.set(o++, v);
            }
        }
        gammaList.clear();
        geo = new IntArray(Math.max(1, geoInts));
        input.allocate();
        for (Buf b : pool) {
            b.allocate();
        }
        out = new FloatArray(Math.toIntExact(Math.max(1, 3L * maxPixelFrames * 256L * h * w)));
        // TornadoVM writes a graph's tasks into a fixed 8 KiB buffer (~15 + 5·arguments bytes a task), so the decoder
        // runs as a chain of graphs of at most TASKS_PER_GRAPH tasks. Graph 0 uploads the weights, pool buffers and
        // cache slots once; every later graph hands them on (a graph consumes device buffers only from the graph
        // executed just before it, and TornadoVM transfers only what a graph's tasks use).
        List<Object> shared = new ArrayList<>(List.of(biases, gammas, dummy, mma ? wTiles : wF32));
        for (Buf b : pool) {
            shared.add(b.array);
        }
        for (Op op : ops) {
            shared.addAll(op.deviceArrays());
        }
        List<List<Op>> segments = new ArrayList<>();
        int count = TASKS_PER_GRAPH;
        for (Op op : ops) {
            if (count + op.tasks() > TASKS_PER_GRAPH) {
                segments.add(new ArrayList<>());
                count = 0;
            }
            segments.getLast().add(op);
            count += op.tasks();
        }
        String base = Plan.uniqueName("vaeDecoder");
        graphs = segments.size();
        String[] names = new String[graphs + 1];
        for (int i = 0; i <= graphs; i++) {
            names[i] = base + "_" + i;
        }
        Object[] all = shared.toArray();
        List<FloatArray> floats = new ArrayList<>();
        List<IntArray> ints = new ArrayList<>();
        for (Object a : shared) {
            if (a instanceof FloatArray f) {
                floats.add(f);
            } else {
                ints.add((IntArray) a);
            }
        }
        while (floats.size() % 4 != 0) { // a task must not name one array twice
            floats.add(new FloatArray(1));
        }
        TaskGraph init = new TaskGraph(names[0]).transferToDevice(DataTransferMode.FIRST_EXECUTION, floats.toArray())
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, ints.toArray());
        for (int i = 0; i < ints.size(); i++) {
            init.task("touchInts" + i, FrameKernels::touchInts, ints.get(i), dummy);
        }
        for (int i = 0; i < floats.size(); i += 4) {
            init.task("touch" + i, RowKernels::touch, floats.get(i), floats.get(i + 1), floats.get(i + 2), floats.get(i + 3));
        }
        init.persistOnDevice(all);
        List<TaskGraph> chain = new ArrayList<>(List.of(init));
        GridScheduler grids = new GridScheduler();
        Object[] allAndGeo = shared.toArray(new Object[shared.size() + 1]);
        allAndGeo[shared.size()] = geo;
        for (int s = 1; s <= graphs; s++) {
            TaskGraph g = new TaskGraph(names[s]);
            if (s == 1) {
                g.consumeFromDevice(names[0], all).consumeFromDevice(names[graphs], all)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, input.array, geo);
            } else {
                g.consumeFromDevice(names[s - 1], allAndGeo);
            }
            if (s == graphs) {
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, out);
            }
            for (Op op : segments.get(s - 1)) {
                op.addTasks(g, grids);
            }
            if (s == graphs) {
                g.transferToHost(DataTransferMode.UNDER_DEMAND, out).persistOnDevice(all);
            } else {
                g.persistOnDevice(allAndGeo);
            }
            chain.add(g);
        }
        bytes = out.getNumBytesOfSegment() + input.array.getNumBytesOfSegment();
        for (Object a : shared) {
            bytes += a instanceof FloatArray f ? f.getNumBytesOfSegment() : ((IntArray) a).getNumBytesOfSegment();
        }
        TornadoExecutionPlan p = new TornadoExecutionPlan(chain.stream().map(TaskGraph::snapshot)
                .toArray(uk.ac.manchester.tornado.api.ImmutableTaskGraph[]::new));
        p = grids.keySet().isEmpty() ? p : p.withGridScheduler(grids); // an empty scheduler is refused
        plan = profiling ? p.withProfiler(ProfilerMode.SILENT) : p;
        plan.withGraph(0).execute();
    }

    private int maxPixelFrames = 1;

    /**
     * An op's channel count: what its input has now, which must be what it had at every earlier call. Ops read it
     * here, in prepare, never when adding tasks: by then a pool buffer's live shape is that of its last user.
     */
    private static int channels(int fixed, int now, String what) {
        if (fixed >= 0 && fixed != now) {
            throw new IllegalStateException(what + ": " + now + " channels, " + fixed + " at an earlier call");
        }
        return now;
    }

    private static String task(String module) {
        return module.replaceAll("[^A-Za-z0-9]", "_");
    }

    private static WorkerGrid1D rowGroups(long rows) {
        WorkerGrid1D grid = new WorkerGrid1D(Math.toIntExact(Math.max(1, rows) * RowKernels.NORM_THREADS));
        grid.setLocalWork(RowKernels.NORM_THREADS, 1, 1);
        return grid;
    }

    /** A pool buffer: F32, sized to the most it holds; its live shape [t, h, w, c] is set by the op that wrote it. */
    private static final class Buf {
        final String name;
        long cap = 1;
        FloatArray array;
        int t, h, w, c;

        Buf(String name) {
            this.name = name;
        }

        void need(long n) {
            cap = Math.max(cap, n);
        }

        void shape(int t, int h, int w, int c) {
            this.t = t;
            this.h = h;
            this.w = w;
            this.c = c;
            need((long) t * h * w * c);
        }

        int rows() {
            return t * h * w;
        }

        void allocate() {
            if (cap > Integer.MAX_VALUE) {
                throw new IllegalStateException("VAE decoder buffer " + name + " needs " + cap
                        + " floats, more than a TornadoVM array can index");
            }
            array = new FloatArray((int) cap);
            array.init(0f);
        }
    }

    /** A convolution's weight as read, its GEMM padding and its place in the stacked device arrays. */
    private static final class ConvWeight {
        final String name;
        Tensor weight;       // [Cout, Cin, kt, kh, kw] until uploaded
        final Tensor bias;   // [Cout]
        final int cin, cout, kt, kh, kw, cinPad, kPad, nPad;
        int wOff, bOff;

        ConvWeight(String name, Tensor weight, Tensor bias, int cin, int cout, int kt, int kh, int kw, int cinPad,
                   int kPad, int nPad) {
            this.name = name;
            this.weight = weight;
            this.bias = bias;
            this.cin = cin;
            this.cout = cout;
            this.kt = kt;
            this.kh = kh;
            this.kw = kw;
            this.cinPad = cinPad;
            this.kPad = kPad;
            this.nPad = nPad;
        }

        /** Row length of the convolution's raw output (Cout padded to the GEMM block). */
        int ldy() {
            return nPad;
        }

        /** [Cout, kPad] with k = ((dt·kh + dy)·kw + dx)·cinPad + ci, zero for ci ≥ Cin. */
        float[] tapMajor() {
            float[] src = weight.toFloatArray();
            float[] dst = new float[Math.multiplyExact(cout, kPad)];
            int taps = kt * kh * kw;
            for (int co = 0; co < cout; co++) {
                for (int ci = 0; ci < cin; ci++) {
                    for (int tap = 0; tap < taps; tap++) {
                        dst[co * kPad + tap * cinPad + ci] = src[(co * cin + ci) * taps + tap];
                    }
                }
            }
            return dst;
        }
    }

    /** One step of the decoder: sets its live shapes and geometry for a call, and adds its tasks once. */
    private abstract static class Op {
        abstract void prepare(boolean first);

        abstract void addTasks(TaskGraph g, GridScheduler grids);

        /** Tasks {@link #addTasks} adds. */
        int tasks() {
            return 1;
        }

        /** Device arrays this op owns (cache slots, scratch), uploaded once. */
        List<Object> deviceArrays() {
            return List.of();
        }

        void reset() {
        }
    }

    /**
     * A {@code CausalConv3d} (or the Resample's Conv2d as kt = 1, or a 1×1 linear): conv into {@code raw}
     * [positions, ldy], then the bias into {@code dst} [positions, Cout] (in place when raw = dst), then the cache
     * slot update. A {@code timeConv} follows upsample3d's rules (skipped on the first call, which stores one zero
     * frame, the official "Rep") and leaves its bias to {@link Interleave}.
     */
    private final class Conv extends Op {
        final ConvWeight cw;
        final Buf x, raw, dst;
        final boolean cached, timeConv, up;
        final int at, cacheAt;
        FloatArray cache;
        long cacheFrame = -1;
        long maxPositions;
        int held;
        boolean skipped;

        Conv(ConvWeight cw, Buf x, Buf raw, Buf dst, boolean cached, boolean timeConv, boolean up) {
            this.cw = cw;
            this.x = x;
            this.raw = raw;
            this.dst = dst;
            this.cached = cached;
            this.timeConv = timeConv;
            this.up = up;
            this.at = geoSlots(CausalConvKernels.GEO);
            this.cacheAt = cached ? geoSlots(3) : -1;
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
            int hu = up ? 2 * hs : hs, wu = up ? 2 * ws : ws;
            int padH = cw.kh / 2, padW = cw.kw / 2;
            int tOut = front + t - cw.kt + 1, hOut = hu + 2 * padH - cw.kh + 1, wOut = wu + 2 * padW - cw.kw + 1;
            int positions = skipped ? 0 : tOut * hOut * wOut;
            int[] g = geoHost;
            g[at + CausalConvKernels.CIN] = cw.cin;
            g[at + CausalConvKernels.CIN_PAD] = cw.cinPad;
            g[at + CausalConvKernels.T_IN] = t;
            g[at + CausalConvKernels.H_SRC] = hs;
            g[at + CausalConvKernels.W_SRC] = ws;
            g[at + CausalConvKernels.UP] = up ? 1 : 0;
            g[at + CausalConvKernels.CACHED] = n;
            g[at + CausalConvKernels.FRONT] = front;
            g[at + CausalConvKernels.KT] = cw.kt;
            g[at + CausalConvKernels.KH] = cw.kh;
            g[at + CausalConvKernels.KW] = cw.kw;
            g[at + CausalConvKernels.PAD_H] = padH;
            g[at + CausalConvKernels.PAD_W] = padW;
            g[at + CausalConvKernels.T_OUT] = tOut;
            g[at + CausalConvKernels.H_OUT] = hOut;
            g[at + CausalConvKernels.W_OUT] = wOut;
            g[at + CausalConvKernels.POSITIONS] = positions;
            g[at + CausalConvKernels.COUT] = cw.cout;
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
            String name = task(cw.name.replace(".weight", ""));
            FloatArray c = cached ? cache : dummy;
            int rowBlocks = MmaLinear.roundUp((int) Math.max(1, maxPositions), ROWS) / ROWS;
            if (mma) {
                g.task(name, CausalConvKernels::convMma, new KernelContext(), x.array, c, wTiles, raw.array, geo, at, cw.wOff,
                        cw.kPad / BLOCK.bk, cw.ldy());
                WorkerGrid2D grid = new WorkerGrid2D(rowBlocks * MmaLinear.Block.THREADS, cw.nPad / BLOCK.bn);
                grid.setLocalWork(MmaLinear.Block.THREADS, 1, 1);
                grids.addWorkerGrid(g.getTaskGraphName() + "." + name, grid);
            } else {
                g.task(name, CausalConvKernels::convF32, x.array, c, wF32, raw.array, geo, at, cw.wOff,
                        (int) Math.max(1, maxPositions), cw.cout, cw.kPad, cw.ldy());
            }
            int cap = Math.toIntExact(Math.max(1, maxPositions * cw.cout));
            if (timeConv) {
                // its bias is added by Interleave
            } else if (raw == dst) {
                g.task(name + "_bias", FrameKernels::biasRowsInPlace, dst.array, biases, geo, at + CausalConvKernels.POSITIONS,
                        cw.bOff, cw.cout, cap);
            } else {
                g.task(name + "_bias", FrameKernels::biasRows, raw.array, biases, dst.array, geo, at + CausalConvKernels.POSITIONS,
                        cw.bOff, cw.cout, cw.ldy(), cap);
            }
            if (cached) {
                g.task(name + "_cache", FrameKernels::cacheUpdate, cache, x.array, geo, cacheAt, (int) cacheFrame);
            }
        }
    }

    /** upsample3d's frame interleave after {@code time_conv} (+ its bias), or a copy on the stream's first call. */
    private final class Interleave extends Op {
        final Conv timeConv;
        final Buf x, raw, dst;
        int c = -1; // channels, fixed at the first prepare (a pool buffer's live shape changes along the network)
        final int at = geoSlots(3);
        long cap = 1;

        Interleave(Conv timeConv, Buf x, Buf raw, Buf dst) {
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
            geoHost[at + FrameKernels.IL_FRAMES] = x.t;
            geoHost[at + FrameKernels.IL_PLANE] = plane;
            geoHost[at + FrameKernels.IL_IDENTITY] = timeConv.skipped ? 1 : 0;
            int t = timeConv.skipped ? x.t : 2 * x.t;
            dst.shape(t, x.h, x.w, c);
            cap = Math.max(cap, (long) t * plane * c);
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            g.task(task(timeConv.cw.name.replace(".weight", "")) + "_interleave", FrameKernels::interleaveTime, raw.array,
                    biases, x.array, dst.array, geo, at, timeConv.cw.bOff, c, timeConv.cw.ldy(), Math.toIntExact(cap));
        }
    }

    /** {@code RMS_norm} over channels (+ SiLU), x → y (in place allowed). */
    private final class Norm extends Op {
        final Buf x, y;
        final int gOff, c;
        final boolean silu;
        final int at = geoSlots(1);
        long maxRows = 1;
        final int index = ops.size();

        Norm(Buf x, Buf y, int gOff, int c, boolean silu) {
            this.x = x;
            this.y = y;
            this.gOff = gOff;
            this.c = c;
            this.silu = silu;
        }

        @Override
        void prepare(boolean first) {
            if (x.c != c) {
                throw new IllegalStateException("RMS_norm of " + c + " channels on " + x.c);
            }
            geoHost[at] = x.rows();
            y.shape(x.t, x.h, x.w, c);
            maxRows = Math.max(maxRows, x.rows());
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            String name = "norm" + index;
            g.task(name, FrameKernels::rmsNormRows, new KernelContext(), x.array, gammas, y.array, geo, at, gOff, c,
                    (float) Math.sqrt(c), silu ? 1 : 0);
            grids.addWorkerGrid(g.getTaskGraphName() + "." + name, rowGroups(maxRows));
        }
    }

    /** x += y (same live shape). */
    private final class Add extends Op {
        final Buf x, y;
        int c = -1; // channels, fixed at the first prepare (a pool buffer's live shape changes along the network)
        final int at = geoSlots(1);
        final int index = ops.size();
        long cap = 1;

        Add(Buf x, Buf y) {
            this.x = x;
            this.y = y;
        }

        @Override
        void prepare(boolean first) {
            if (x.rows() != y.rows() || x.c != y.c) {
                throw new IllegalStateException("residual add of [" + x.rows() + ", " + x.c + "] and [" + y.rows() + ", " + y.c + "]");
            }
            geoHost[at] = x.rows();
            c = channels(c, x.c, "residual add");
            cap = Math.max(cap, (long) x.rows() * c);
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            g.task("add" + index, FrameKernels::addRows, x.array, y.array, geo, at, c, Math.toIntExact(cap));
        }
    }

    /** dst += DupUp3D(src): the upsampling stage's shortcut. */
    private final class DupUp extends Op {
        final Buf dst, src;
        final int cin, cout, ft, fs;
        final int at = geoSlots(4);
        final int index = ops.size();
        long cap = 1;

        DupUp(Buf dst, Buf src, int cin, int cout, int ft, int fs) {
            this.dst = dst;
            this.src = src;
            this.cin = cin;
            this.cout = cout;
            this.ft = ft;
            this.fs = fs;
            if (cout * ft * fs * fs % cin != 0) {
                throw new IllegalArgumentException("DupUp3D: " + cout + "·" + ft * fs * fs + " is not a multiple of " + cin);
            }
        }

        @Override
        void prepare(boolean first) {
            int drop = first ? ft - 1 : 0;
            int frames = src.t * ft - drop;
            if (frames != dst.t || src.h * fs != dst.h || src.w * fs != dst.w || dst.c != cout || src.c != cin) {
                throw new IllegalStateException("DupUp3D of [" + src.t + ", " + src.h + ", " + src.w + ", " + src.c + "] onto ["
                        + dst.t + ", " + dst.h + ", " + dst.w + ", " + dst.c + "]");
            }
            geoHost[at + FrameKernels.DU_FRAMES] = frames;
            geoHost[at + FrameKernels.DU_ROWS] = dst.h;
            geoHost[at + FrameKernels.DU_COLS] = dst.w;
            geoHost[at + FrameKernels.DU_DROP] = drop;
            cap = Math.max(cap, (long) dst.rows() * cout);
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            g.task("dupUp" + index, FrameKernels::dupUpAdd, dst.array, src.array, geo, at, cin, cout, ft, fs, Math.toIntExact(cap));
        }
    }

    /** Single-head attention over one frame: o = softmax(q·kᵀ/√c)·v, q, k, v, o [h·w, c]. */
    private final class Attention extends Op {
        final Buf q, k, v, o;
        final int c;
        final int tokens = h * w;
        FloatArray scores;   // [tokens, tokens]
        FloatArray vt;       // [c, tokens]
        FloatArray zeros;    // GEMM bias
        IntArray rows;
        IntArray transpose;  // LayoutKernels.gather parameters of v [tokens, c] → [c, tokens]

        Attention(Buf q, Buf k, Buf v, Buf o, int c) {
            this.q = q;
            this.k = k;
            this.v = v;
            this.o = o;
            this.c = c;
        }

        @Override
        void prepare(boolean first) {
            if (q.t != 1 || q.rows() != tokens) {
                throw new IllegalStateException("the middle attention expects one frame of " + tokens + " tokens, got ["
                        + q.t + ", " + q.rows() + "]");
            }
            o.shape(1, q.h, q.w, c);
        }

        @Override
        List<Object> deviceArrays() {
            if (scores == null) {
                scores = new FloatArray(Math.multiplyExact(tokens, tokens));
                vt = new FloatArray(Math.multiplyExact(tokens, c));
                zeros = new FloatArray(Math.max(tokens, c));
                zeros.init(0f);
                rows = IntArray.fromElements(tokens);
                transpose = IntArray.fromElements(VolumePlans.gatherParams(
                        chameleon.tensor.StridedCopy.permute(chameleon.tensor.Shape.of(tokens, c), 1, 0), "attention values"));
            }
            return List.of(scores, vt, zeros, rows, transpose);
        }

        @Override
        int tasks() {
            return 4;
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            int rowTiles = (tokens + GemmKernels.TILE - 1) / GemmKernels.TILE;
            g.task("attnScores", GemmKernels::linearF32, q.array, k.array, zeros, scores, rows, rowTiles,
                    (tokens + GemmKernels.TILE - 1) / GemmKernels.TILE, c, tokens);
            g.task("attnSoftmax", FrameKernels::softmaxRows, new KernelContext(), scores, tokens, (float) (1.0 / Math.sqrt(c)));
            grids.addWorkerGrid(g.getTaskGraphName() + ".attnSoftmax", rowGroups(tokens));
            g.task("attnValuesT", LayoutKernels::gather, v.array, vt, transpose, tokens * c);
            g.task("attnOut", GemmKernels::linearF32, scores, vt, zeros, o.array, rows, rowTiles,
                    (c + GemmKernels.TILE - 1) / GemmKernels.TILE, tokens, c);
        }
    }

    /** The head output [F, 8h, 8w, 12] → pixels [3, F, 16h, 16w] in {@code out}. */
    private final class Unpatchify extends Op {
        final Buf y;
        final int at = geoSlots(3);
        long cap = 1;

        Unpatchify(Buf y) {
            this.y = y;
        }

        @Override
        void prepare(boolean first) {
            if (y.c != VaeConfig.PATCH_CHANNELS) {
                throw new IllegalStateException("head output has " + y.c + " channels, expected " + VaeConfig.PATCH_CHANNELS);
            }
            geoHost[at + FrameKernels.UP_FRAMES] = y.t;
            geoHost[at + FrameKernels.UP_ROWS] = y.h;
            geoHost[at + FrameKernels.UP_COLS] = y.w;
            cap = Math.max(cap, 3L * y.t * 4 * y.h * y.w);
            maxPixelFrames = Math.max(maxPixelFrames, y.t);
        }

        @Override
        void addTasks(TaskGraph g, GridScheduler grids) {
            g.task("unpatchify", FrameKernels::unpatchify, y.array, out, geo, at, Math.toIntExact(cap));
        }
    }
}
