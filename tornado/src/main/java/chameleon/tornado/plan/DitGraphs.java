package chameleon.tornado.plan;

import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.dit.Head;
import chameleon.layers.dit.WanAttentionBlock;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.RowKernels;
import chameleon.tornado.plan.DeviceLinear.Bias;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The DiT forward as TaskGraphs of one execution plan, with the activations, the KV cache of every
 * layer and the prompt's cross-attention K/V on the device:
 * <ol>
 *   <li>{@code prompt}: uploads the embedded prompt once when it changes (into a device-only copy the
 *       {@code context} graph reads);</li>
 *   <li>{@code context}: one layer's cross-attention K/V of the prompt (k = RMSNorm_k(ctx·W_kᵀ + b_k),
 *       v = ctx·W_vᵀ + b_v) into rows ℓ·T of the stacked cross cache; run for every layer when the prompt
 *       changes;</li>
 *   <li>{@code input}: uploads the patches, the per-frame time embeddings and the RoPE tables of a forward;
 *       patch embedding GEMM into x;</li>
 *   <li>{@code block}: one {@code blocks.ℓ} (MODEL.md §2.3 step 4), ℓ and the KV row moves
 *       ({@link chameleon.kvcache.KvWrite}) uploaded at each of its 30 executions a forward;</li>
 *   <li>{@code head}: adaLN + {@code head.head}, the only download of a forward ([rows, outCols]).</li>
 * </ol>
 * TornadoVM hands device buffers only from the graph executed just before ({@code consumeFromDevice}
 * names it), so each array has one owner graph that allocates it, and the graphs in between pass it on:
 * the cross K/V (owned by {@code context}) travel input → block → head → input; the forward's inputs
 * (owned by {@code input}) travel block → block → head; the KV cache stays with {@code block}.
 * One block graph serves every layer because TornadoVM compiles each task of each graph on its own: 30
 * block graphs would JIT 30 copies of every kernel. Every forward runs on {@link Dims#rows()} token rows
 * (shorter forwards are zero-padded; padding rows never reach the KV cache, and the queries of real rows
 * only see real keys), so one set of graphs serves prefill, chunks and slot rewrites.
 */
public final class DitGraphs implements AutoCloseable {
    /**
     * @param rows           token rows of every forward (a multiple of the GEMM tile)
     * @param tokensPerFrame tokens of one latent frame
     * @param patchCols      columns of a patch row (in·pt·ph·pw)
     * @param outCols        columns of the head output (out·pt·ph·pw)
     * @param textLen        prompt rows T
     * @param cacheRows      rows of one layer's KV ring buffer
     */
    public record Dims(int rows, int tokensPerFrame, int patchCols, int dim, int heads, int headDim, int ffn,
                       int outCols, int textLen, int cacheRows, int layers) {
        /** Frames the per-frame inputs are sized for (rows / tokensPerFrame, rounded up). */
        public int frames() {
            return (rows + tokensPerFrame - 1) / tokensPerFrame;
        }
    }

    // Slots of the block and context parameter arrays.
    public static final int LAYER = 0;
    public static final int ROLL_FROM = 1;
    public static final int ROLL_TO = 2;
    public static final int ROLLED = 3;
    public static final int ROW = 4;
    public static final int ROWS = 5;
    public static final int ZERO = 6;
    private static final int PARAMS = 7;

    // Chunks of a block's adaLN table [layers, ADALN, dim] and of e0: the modulation's six (MODEL.md §2.3: shift₁,
    // scale₁, gate₁, shift₂, scale₂, gate₂), then norm3's bias and weight, whose e0 chunks are zero, so norm3 is an
    // adaLN LayerNorm with one = 0 over the same table and can share a pass with the gate₁ add before it.
    private static final int ADALN = 8;
    private static final int NORM3_BIAS = 6;
    private static final int NORM3_WEIGHT = 7;

    private static final int CONTEXT = 0;
    private static final int INPUT = 1;
    private static final int BLOCK = 2;
    private static final int HEAD = 3;
    private static final int PROMPT = 4;

    private final Dims dims;
    private final String kernels;

    // Inputs, uploaded every execution of the graph that names them.
    private final int contextRows;       // T rounded up to the GEMM tiles
    private final FloatArray context;    // [contextRows, dim] embedded prompt, zero rows past T (host side)
    private final IntArray contextParams; // LAYER, ROW = ℓ·T, ROWS = T, ZERO
    private final FloatArray patches;    // [rows, patchCols]
    private final FloatArray e0;         // [frames, ADALN, dim] time projection per frame, chunks 6 and 7 zero
    private final FloatArray eHead;      // [frames, dim] time embedding per frame (the head's e)
    private final FloatArray cos;        // [rows, headDim/2]
    private final FloatArray sin;        // [rows, headDim/2]
    private final IntArray blockParams;  // LAYER, the KvWrite row moves (absolute rows of the stacked cache), ZERO
    private final IntArray window;       // {from, to}: absolute rows of the stacked cache the queries see
    private final IntArray crossWindow;  // {ℓ·T, ℓ·T + T}

    // Device state.
    private final FloatArray x;          // [rows, dim] residual stream
    private final DeviceKvCache cache;   // every layer's rotated keys and values, layer ℓ at rows ℓ·cacheRows
    private final FloatArray crossK;     // [layers·T, heads, headDim] after norm_k
    private final FloatArray crossV;     // [layers·T, heads, headDim]
    private final FloatArray out;        // [rows, outCols] head output
    private final FloatArray prompt;     // [contextRows, dim] the context on the device, read by all 30 context runs

    private final TornadoExecutionPlan plan;
    private final TornadoExecutionResult[] last = new TornadoExecutionResult[5];
    // -Dchameleon.tornado.profile=true: device kernel time per task and host time per graph, summed.
    private final boolean profiling = Boolean.getBoolean("chameleon.tornado.profile");
    private final TaskTimes taskNanos = new TaskTimes();       // task → latest kernel ns
    private final Map<String, long[]> graphNanos = new TreeMap<>();  // graph → {wall ns, calls}

    public DitGraphs(CausalWanModel model, Dims dims, DeviceKernels kernels) {
        this.dims = dims;
        this.kernels = kernels.name();
        int rows = dims.rows(), dim = dims.dim(), t = dims.textLen(), layers = dims.layers();
        List<WanAttentionBlock> blocks = model.blocks();
        if (blocks.size() != layers) {
            throw new IllegalArgumentException("model has " + blocks.size() + " blocks, dims say " + layers);
        }
        contextRows = roundUp(t, 128); // a multiple of any GEMM tile; rows past T are zeros and never stored
        context = new FloatArray(contextRows * dim);
        contextParams = new IntArray(PARAMS);
        patches = new FloatArray(rows * dims.patchCols());
        e0 = new FloatArray(dims.frames() * ADALN * dim);
        eHead = new FloatArray(dims.frames() * dim);
        cos = new FloatArray(rows * dims.headDim() / 2);
        sin = new FloatArray(rows * dims.headDim() / 2);
        blockParams = new IntArray(PARAMS);
        window = new IntArray(2);
        crossWindow = new IntArray(2);
        x = new FloatArray(rows * dim);
        cache = kernels.kvCache(layers, dims.cacheRows(), dims.heads(), dims.headDim());
        crossK = new FloatArray(layers * t * dim);
        crossV = new FloatArray(layers * t * dim);
        out = new FloatArray(rows * dims.outCols());
        prompt = new FloatArray(contextRows * dim);

        GridScheduler grids = new GridScheduler();
        DeviceAttention attention = kernels.attention();
        DeviceAttention crossAttention = kernels.crossAttention();
        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        graphs.add(contextGraph(blocks, kernels, grids).snapshot());
        graphs.add(inputGraph(model, kernels, grids).snapshot());
        graphs.add(blockGraph(blocks, kernels, attention, crossAttention, grids).snapshot());
        graphs.add(headGraph(model.head(), kernels, grids).snapshot());
        graphs.add(promptGraph().snapshot());
        TornadoExecutionPlan p = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        // (TornadoVM refuses a scheduler without grids: vendor kernels register none.)
        p = grids.keySet().isEmpty() ? p : p.withGridScheduler(grids);
        if (CUDA_GRAPHS && !profiling && kernels.replayable()) { // the profile times each task's own launch
            p = p.withCUDAGraph();
        }
        plan = profiling ? p.withProfiler(ProfilerMode.SILENT) : p;
    }

    /**
     * On TornadoVM's CUDA backend (or with -Dchameleon.tornado.cudaGraph=true; =false turns it off) each graph's
     * launches are captured into a CUDA graph on its first execution and replayed after, one launch instead of one a
     * task; the EVERY_EXECUTION uploads (blockParams, the windows) are captured copies that read the host arrays afresh
     * at each replay. Measured on the H100: the golden replay passes either way; with TornadoVM's default event lists
     * a vendor chunk took 1.15–1.24 s with against 1.28–1.34 s without (bench/gpu/results/2026-12-07-h100-session6),
     * with tornado.max.events=1024 the two are within run-to-run spread (801 against 754 ms, session7/ab-cudagraph).
     */
    private static final boolean CUDA_GRAPHS = System.getProperty("chameleon.tornado.cudaGraph") != null
            ? Boolean.getBoolean("chameleon.tornado.cudaGraph")
            : TornadoExecutionPlan.DEFAULT_DEVICE.getTornadoVMBackend() == TornadoVMBackendType.CUDA;

    private static String name(String graph) {
        return Plan.uniqueName("dit_" + graph);
    }

    private final String contextName = name("context");
    private final String inputName = name("input");
    private final String blockName = name("block");
    private final String headName = name("head");
    private final String promptName = name("prompt");

    /** The same Linear of every block, all layers' weights (and biases) in one {@link DeviceLinear}. */
    private static DeviceLinear linear(DeviceKernels kernels, List<WanAttentionBlock> blocks,
                                       Function<WanAttentionBlock, Linear> get) {
        List<Tensor> weights = new ArrayList<>(blocks.size());
        List<Tensor> biases = new ArrayList<>(blocks.size());
        for (WanAttentionBlock b : blocks) {
            Linear l = get.apply(b);
            weights.add(l.weight());
            biases.add(l.bias());
        }
        return kernels.linear(weights, biases);
    }

    /** [layers, 2, size]: layer ℓ's row of {@code first} [layers, size], then its row of {@code second}. */
    private static FloatArray paired(FloatArray first, FloatArray second, int layers, int size) {
        FloatArray a = new FloatArray(layers * 2 * size);
        for (int l = 0; l < layers; l++) {
            for (int c = 0; c < size; c++) {
                a.set((2 * l) * size + c, first.get(l * size + c));
                a.set((2 * l + 1) * size + c, second.get(l * size + c));
            }
        }
        return a;
    }

    /** [layers, size] of one small parameter a layer (ones where a layer has none). */
    private static FloatArray stacked(List<WanAttentionBlock> blocks, Function<WanAttentionBlock, Tensor> get, int size,
                                      float fill) {
        FloatArray a = new FloatArray(blocks.size() * size);
        for (int l = 0; l < blocks.size(); l++) {
            Tensor p = get.apply(blocks.get(l));
            if (p == null) {
                for (int i = 0; i < size; i++) {
                    a.set(l * size + i, fill);
                }
            } else {
                if (p.numel() != size) {
                    throw new IllegalArgumentException("blocks." + l + " parameter " + p.shape() + " must have " + size + " elements");
                }
                float[] v = p.toFloatArray();
                for (int i = 0; i < size; i++) {
                    a.set(l * size + i, v[i]);
                }
            }
        }
        return a;
    }

    /**
     * [layers, ADALN, dim]: each block's modulation [6, dim], then norm3's bias and weight (0 and 1 without norm3; the
     * block then takes no norm3 pass).
     */
    private static FloatArray adaLnTable(List<WanAttentionBlock> blocks, int dim) {
        FloatArray table = new FloatArray(blocks.size() * ADALN * dim);
        FloatArray mod = stacked(blocks, WanAttentionBlock::modulation, 6 * dim, 0f);
        FloatArray bias = stacked(blocks, WanAttentionBlock::norm3Bias, dim, 0f);
        FloatArray weight = stacked(blocks, WanAttentionBlock::norm3Weight, dim, 1f);
        for (int l = 0; l < blocks.size(); l++) {
            int at = l * ADALN * dim;
            for (int i = 0; i < 6 * dim; i++) {
                table.set(at + i, mod.get(l * 6 * dim + i));
            }
            for (int c = 0; c < dim; c++) {
                table.set(at + NORM3_BIAS * dim + c, bias.get(l * dim + c));
                table.set(at + NORM3_WEIGHT * dim + c, weight.get(l * dim + c));
            }
        }
        return table;
    }

    /** e [F, 6, dim] into rows of {@code a} [frames, ADALN, dim] (chunks 6 and 7 stay as they are: zero). */
    private static void putAdaLn(Tensor e, FloatArray a, int dim) {
        if (e.shape().rank() != 3 || e.dim(1) != 6 || e.dim(2) != dim) {
            throw new IllegalArgumentException("time projection e0 must be [frames, 6, " + dim + "], got " + e.shape());
        }
        float[] v = e.toFloatArray();
        if ((long) e.dim(0) * ADALN * dim > a.getSize()) {
            throw new IllegalArgumentException("time projection of " + e.dim(0) + " frames does not fit the forward's "
                    + a.getSize() / (ADALN * dim) + " frames");
        }
        for (int f = 0; f < e.dim(0); f++) {
            MemorySegment.copy(v, f * 6 * dim, a.getSegment(), ValueLayout.JAVA_FLOAT, (long) f * ADALN * dim * Float.BYTES,
                    6 * dim);
        }
    }

    private TaskGraph contextGraph(List<WanAttentionBlock> blocks, DeviceKernels kernels, GridScheduler grids) {
        int dim = dims.dim();
        DeviceLinear kProj = linear(kernels, blocks, b -> b.crossAttn().k());
        DeviceLinear vProj = linear(kernels, blocks, b -> b.crossAttn().v());
        boolean norm = blocks.getFirst().crossAttn().normK() != null;
        FloatArray normK = stacked(blocks, b -> b.crossAttn().normK(), dim, 1f); // [layers, dim], read at ℓ
        FloatArray projected = new FloatArray(contextRows * dim);
        FloatArray normed = new FloatArray(contextRows * dim);
        TaskGraph g = new TaskGraph(contextName)
                .consumeFromDevice(promptName, prompt)
                .consumeFromDevice(contextName, prompt)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, contextParams)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, crossK, crossV, projected, normed, normK);
        // with norm_k, k's bias is added by the norm
        kProj.addTo(g, grids, "k", prompt, projected, contextRows, contextParams, norm ? Bias.DEFERRED : Bias.ADDED);
        if (norm) {
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, kProj.biases());
            NormTasks.rmsNorm(g, grids, "norm_k", projected, kProj.biases(), normK, contextParams, dim, normed,
                    contextRows, dim, eps(blocks));
            move(g, grids, "store_k", normed, crossK, contextParams, ZERO, ROW, ROWS, dim);
        } else {
            move(g, grids, "store_k", projected, crossK, contextParams, ZERO, ROW, ROWS, dim);
        }
        vProj.addTo(g, grids, "v", prompt, projected, contextRows, contextParams);
        move(g, grids, "store_v", projected, crossV, contextParams, ZERO, ROW, ROWS, dim)
                .persistOnDevice(crossK, crossV, prompt);
        return g;
    }

    /**
     * The prompt's one upload per change (the context graph runs 30 times on it): the host array into a
     * device-only copy that the context graph consumes, so its executions upload only their layer index.
     */
    private TaskGraph promptGraph() {
        int size = contextRows * dims.dim();
        return new TaskGraph(promptName)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, context)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, prompt)
                .task("upload", RowKernels::copy, context, prompt, size)
                .persistOnDevice(prompt);
    }

    private static float eps(List<WanAttentionBlock> blocks) {
        return blocks.getFirst().eps();
    }

    private TaskGraph inputGraph(CausalWanModel model, DeviceKernels kernels, GridScheduler grids) {
        Linear conv = model.patchEmbedding().conv();
        DeviceLinear embed = kernels.linear(List.of(conv.weight()), java.util.Collections.singletonList(conv.bias()));
        IntArray layer0 = new IntArray(1);
        checkRows(embed);
        TaskGraph g = new TaskGraph(inputName)
                .consumeFromDevice(contextName, crossK, crossV)
                .consumeFromDevice(headName, crossK, crossV)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, patches, e0, eHead, cos, sin)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x, layer0);
        embed.addTo(g, grids, "patch_embedding", patches, x, dims.rows(), layer0);
        g.task("inputs", RowKernels::touch, e0, eHead, cos, sin)
                .persistOnDevice(x, e0, eHead, cos, sin, crossK, crossV);
        return g;
    }

    private void checkRows(DeviceLinear l) {
        if (dims.rows() % l.rowMultiple() != 0) {
            throw new IllegalArgumentException(dims.rows() + " rows are not a multiple of the GEMM tile " + l.rowMultiple());
        }
    }

    private TaskGraph blockGraph(List<WanAttentionBlock> blocks, DeviceKernels kernels, DeviceAttention attention,
                                 DeviceAttention crossAttention, GridScheduler grids) {
        int rows = dims.rows(), dim = dims.dim(), heads = dims.heads(), hd = dims.headDim();
        int tpf = dims.tokensPerFrame(), cap = dims.cacheRows(), layers = dims.layers(), t = dims.textLen();
        float eps = eps(blocks);
        float scale = (float) (1.0 / Math.sqrt(hd));
        WanAttentionBlock b0 = blocks.getFirst();
        DeviceLinear q = linear(kernels, blocks, b -> b.selfAttn().q());
        DeviceLinear k = linear(kernels, blocks, b -> b.selfAttn().k());
        DeviceLinear v = linear(kernels, blocks, b -> b.selfAttn().v());
        DeviceLinear o = linear(kernels, blocks, b -> b.selfAttn().o());
        DeviceLinear cq = linear(kernels, blocks, b -> b.crossAttn().q());
        DeviceLinear co = linear(kernels, blocks, b -> b.crossAttn().o());
        DeviceLinear ffnIn = linear(kernels, blocks, WanAttentionBlock::ffnIn);
        DeviceLinear ffnOut = linear(kernels, blocks, WanAttentionBlock::ffnOut);
        for (DeviceLinear l : List.of(q, k, v, o, cq, co, ffnIn, ffnOut)) {
            checkRows(l);
        }
        boolean qkNorm = b0.selfAttn().normQ() != null;
        boolean crossNorm = b0.crossAttn().normQ() != null;
        boolean hasNorm3 = b0.norm3Weight() != null;

        // Every layer's small parameters stacked [layers, …]; the kernels read layer blockParams[LAYER]'s row
        // (no staging copy a layer).
        FloatArray adaLn = adaLnTable(blocks, dim);                             // [layers, ADALN, dim]
        FloatArray normQ = stacked(blocks, b -> b.selfAttn().normQ(), dim, 1f);
        FloatArray normK = stacked(blocks, b -> b.selfAttn().normK(), dim, 1f);
        FloatArray normQk = paired(normQ, normK, blocks.size(), dim);           // [layers, 2, dim]: norm_q, norm_k
        FloatArray crossNormQ = stacked(blocks, b -> b.crossAttn().normQ(), dim, 1f);
        FloatArray h = new FloatArray(rows * dim), qs = new FloatArray(rows * dim), ks = new FloatArray(rows * dim),
                vs = new FloatArray(rows * dim), att = new FloatArray(rows * dim), proj = new FloatArray(rows * dim);
        FloatArray vb = qkNorm ? new FloatArray(rows * dim) : vs;               // [rows, dim] the chunk's v + b_v

        TaskGraph g = new TaskGraph(blockName)
                .consumeFromDevice(inputName, x, e0, eHead, cos, sin, crossK, crossV)
                .consumeFromDevice(blockName, x, e0, eHead, cos, sin, crossK, crossV)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, blockParams, window, crossWindow)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, cache.arrays())
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, adaLn, normQk, crossNormQ, h, qs, ks, vs,
                        vb, att, proj)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, o.biases(), co.biases(), ffnOut.biases());
        if (qkNorm) {
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, q.biases(), k.biases(), v.biases());
        }
        // self-attention input: LN(x)·(1 + scale₁) + shift₁
        NormTasks.layerNormModulate(g, grids, "norm1", x, adaLn, blockParams, ADALN * dim, e0, ADALN, 0, 1, h, rows, dim,
                tpf, eps);
        // q = RMSNorm_q(h·W_qᵀ + b_q), k likewise (over the full dim), v = h·W_vᵀ + b_v: one read of h for the three
        // (the raw q and k go through att and proj, free until the attention and o write them). With qk-norm the three
        // biases are added by the fused norm/RoPE/store task, which reads q, k and v anyway.
        FloatArray rawQ = qkNorm ? att : qs, rawK = qkNorm ? proj : ks;
        Bias qkvBias = qkNorm ? Bias.DEFERRED : Bias.ADDED;
        DeviceLinear.addAll(g, grids, h, rows, blockParams, List.of(new DeviceLinear.Use(q, "q", rawQ, qkvBias),
                new DeviceLinear.Use(k, "k", rawK, qkvBias), new DeviceLinear.Use(v, "v", vs, qkvBias)));
        // the chunk's K/V into the ring buffer (KvRingBuffer's moves: the roll, then the write)
        cache.addRoll(g, grids, "roll", blockParams, ROLL_FROM, ROLL_TO, ROLLED, ZERO);
        if (qkNorm) {
            // norm_q, norm_k and RoPE in one pass over q, k and v; the chunk's rows of k and v + b_v to ks and vb
            NormTasks.qkNormRopeStore(g, grids, "qk_norm_rope", rawQ, rawK, vs, q.biases(), k.biases(), v.biases(),
                    normQk, cos, sin, qs, ks, vb, blockParams, LAYER, ZERO, ROWS, rows, dim, hd / 2, eps);
        } else {
            g.task("rope_qk", RowKernels::ropeQk, qs, ks, cos, sin, rows, heads, hd / 2);
        }
        cache.addWrite(g, grids, "write", ks, vb, blockParams, ZERO, ROW, ROWS);
        // An F16-input o / cross_o (cuBLAS) reads the attention's output as F16 rows written by the attention itself
        // (one scratch for both), where it would round an F32 output again.
        HalfFloatArray attHalf = null;                                          // [rows, dim] F16
        if (o.readsHalf() || co.readsHalf()) {
            attHalf = new HalfFloatArray(rows * dim);
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, attHalf);
        }
        // the biases of o, cross_o and ffn.2 are added by the task after each GEMM (gate, residual add); ffn.0's with
        // the activation
        if (o.readsHalf()) {
            attention.addToHalf(g, grids, "self_attention", qs, cache, window, attHalf, rows, scale);
            o.addToHalf(g, grids, "o", attHalf, proj, rows, blockParams, Bias.DEFERRED);
        } else {
            attention.addTo(g, grids, "self_attention", qs, cache, window, att, rows, scale);
            o.addTo(g, grids, "o", att, proj, rows, blockParams, Bias.DEFERRED);
        }
        // x += gate₁ · o(…), then x += CrossAttn(norm3(x), context); with norm3, the gated add and the norm in one pass
        FloatArray crossIn = x;
        if (hasNorm3) {
            NormTasks.addGatedLayerNorm(g, grids, "gate1_norm3", x, proj, o.biases(), 2, adaLn, blockParams, ADALN * dim,
                    e0, ADALN, NORM3_BIAS, NORM3_WEIGHT, h, rows, dim, tpf, eps);
            crossIn = h;
        } else {
            g.task("gate1", RowKernels::addGatedFrames, x, proj, o.biases(), adaLn, blockParams, ADALN * dim, e0, ADALN,
                    2, rows, dim, tpf);
        }
        // with norm_q, cross_q's bias is added by the norm
        cq.addTo(g, grids, "cross_q", crossIn, crossNorm ? att : qs, rows, blockParams,
                crossNorm ? Bias.DEFERRED : Bias.ADDED);
        if (crossNorm) {
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, cq.biases());
            NormTasks.rmsNorm(g, grids, "cross_q_norm", att, cq.biases(), crossNormQ, blockParams, dim, qs, rows, dim,
                    eps);
        }
        if (co.readsHalf()) {
            crossAttention.addToHalf(g, grids, "cross_attention", qs, FloatKvCache.of(crossK, crossV, layers, t, heads, hd),
                    crossWindow, attHalf, rows, scale);
            co.addToHalf(g, grids, "cross_o", attHalf, proj, rows, blockParams, Bias.DEFERRED);
        } else {
            crossAttention.addTo(g, grids, "cross_attention", qs, crossK, crossV, crossWindow, att, rows, t, heads, hd,
                    scale);
            co.addTo(g, grids, "cross_o", att, proj, rows, blockParams, Bias.DEFERRED);
        }
        // x += cross_o(…) + b, then x += gate₂ · ffn.2(GELU_tanh(ffn.0(LN(x)·(1 + scale₂) + shift₂))); the residual add
        // and the norm in one pass
        NormTasks.addLayerNormModulate(g, grids, "cross_add_norm2", x, proj, co.biases(), adaLn, blockParams,
                ADALN * dim, e0, ADALN, 3, 4, h, rows, dim, tpf, eps);
        ffnIn.addGeluThen(g, grids, "ffn0", ffnOut, "ffn2", h, proj, rows, blockParams);
        g.task("gate2", RowKernels::addGatedFrames, x, proj, ffnOut.biases(), adaLn, blockParams, ADALN * dim, e0,
                ADALN, 5, rows, dim, tpf)
                .persistOnDevice(x, e0, eHead, cos, sin, crossK, crossV)
                .persistOnDevice(cache.arrays());
        return g;
    }

    private TaskGraph headGraph(Head head, DeviceKernels kernels, GridScheduler grids) {
        int rows = dims.rows(), dim = dims.dim();
        Linear lin = head.linear();
        DeviceLinear proj = kernels.linear(List.of(lin.weight()), java.util.Collections.singletonList(lin.bias()));
        checkRows(proj);
        FloatArray mod = new FloatArray(2 * dim);
        HostCopy.put(head.modulation(), mod);
        FloatArray h = new FloatArray(rows * dim);
        IntArray layer0 = new IntArray(1);
        TaskGraph g = new TaskGraph(headName)
                .consumeFromDevice(blockName, x, eHead, crossK, crossV)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, mod, h, layer0, out);
        NormTasks.layerNormModulate(g, grids, "norm", x, mod, layer0, 0, eHead, 1, 0, 1, h, rows, dim,
                dims.tokensPerFrame(), head.eps());
        proj.addTo(g, grids, "head", h, out, rows, layer0);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                .persistOnDevice(crossK, crossV);
        return g;
    }

    /** Task {@code name}: {@link RowKernels#moveRows} of plan's row moves, on its fixed grid. */
    private static TaskGraph move(TaskGraph g, GridScheduler grids, String name, FloatArray src, FloatArray dst,
                                  IntArray plan, int srcAt, int dstAt, int countAt, int rowSize) {
        g.task(name, RowKernels::moveRows, new KernelContext(), src, dst, plan, srcAt, dstAt, countAt, rowSize);
        FixedGrid.add(grids, g, name);
        return g;
    }

    private static int roundUp(int v, int multiple) {
        return (v + multiple - 1) / multiple * multiple;
    }

    public Dims dims() {
        return dims;
    }

    /** "java" or "vendor". */
    public String kernels() {
        return kernels;
    }

    // ---- execution (host side) ----

    /** Uploads {@code ctx} [T, dim] once and computes every layer's cross-attention K/V of it into the device cache. */
    public void runContext(Tensor ctx) {
        int t = dims.textLen();
        context.init(0f);
        HostCopy.put(ctx, context);
        last[PROMPT] = execute(PROMPT, "prompt");
        for (int layer = 0; layer < dims.layers(); layer++) {
            contextParams.set(LAYER, layer);
            contextParams.set(ROW, layer * t);
            contextParams.set(ROWS, t);
            contextParams.set(ZERO, 0);
            last[CONTEXT] = execute(CONTEXT, "context");
        }
    }

    /**
     * Uploads a forward's inputs and runs the patch embedding.
     *
     * @param patchRows [n, patchCols], n ≤ rows
     * @param e0f       [F, 6, dim]
     * @param ef        [F, dim]
     * @param cosT      [n, headDim/2]
     * @param sinT      [n, headDim/2]
     */
    public void runInput(Tensor patchRows, Tensor e0f, Tensor ef, Tensor cosT, Tensor sinT) {
        patches.init(0f);
        HostCopy.put(patchRows, patches);
        e0.init(0f);
        putAdaLn(e0f, e0, dims.dim());
        eHead.init(0f);
        HostCopy.put(ef, eHead);
        cos.init(0f);
        HostCopy.put(cosT, cos);
        sin.init(0f);
        HostCopy.put(sinT, sin);
        last[INPUT] = execute(INPUT, "input");
    }

    /** Runs block {@code layer} with the KV row moves given in layer-local rows. */
    public void runBlock(int layer, chameleon.kvcache.KvWrite move) {
        int base = layer * dims.cacheRows();
        blockParams.set(LAYER, layer);
        blockParams.set(ROLL_FROM, base + move.rollFrom());
        blockParams.set(ROLL_TO, base + move.rollTo());
        blockParams.set(ROLLED, move.rolled());
        blockParams.set(ROW, base + move.row());
        blockParams.set(ROWS, move.rows());
        blockParams.set(ZERO, 0);
        window.set(0, base + move.window().from());
        window.set(1, base + move.window().to());
        crossWindow.set(0, layer * dims.textLen());
        crossWindow.set(1, (layer + 1) * dims.textLen());
        last[BLOCK] = execute(BLOCK, "block");
    }

    /** Runs the head; returns its output rows [n, outCols]. */
    public Tensor runHead(int n) {
        last[HEAD] = execute(HEAD, "head");
        Tensor r = Tensor.zeros(n, dims.outCols());
        HostCopy.get(out, r);
        return r;
    }

    /** The residual stream's first n rows [n, dim] after the last graph that wrote it (for probes). */
    public Tensor residual(int n, boolean afterBlock) {
        int graph = afterBlock ? BLOCK : INPUT;
        plan.withGraph(graph);
        last[graph].transferToHost(x);
        Tensor r = Tensor.zeros(n, dims.dim());
        HostCopy.get(x, r);
        return r;
    }

    /**
     * Copies layer {@code layer}'s device K/V rows into host tensors [cacheRows, heads, headDim]; call
     * {@link #downloadCaches()} first.
     */
    public void copyLayerCache(int layer, Tensor keys, Tensor values) {
        cache.copyLayer(layer, keys, values);
    }

    /** Layer {@code layer}'s cross-attention K/V [T, heads, headDim] (after {@link #downloadCaches()}). */
    public Tensor[] crossLayer(int layer) {
        int t = dims.textLen(), dim = dims.dim();
        Tensor k = Tensor.zeros(t, dims.heads(), dims.headDim());
        Tensor v = Tensor.zeros(t, dims.heads(), dims.headDim());
        long offset = (long) layer * t * dim * Float.BYTES;
        java.lang.foreign.MemorySegment.copy(crossK.getSegment(), offset, k.segment(), 0, (long) t * dim * Float.BYTES);
        java.lang.foreign.MemorySegment.copy(crossV.getSegment(), offset, v.segment(), 0, (long) t * dim * Float.BYTES);
        return new Tensor[] {k, v};
    }

    private TornadoExecutionResult execute(int graph, String name) {
        long t0 = System.nanoTime();
        TornadoExecutionResult r = plan.withGraph(graph).execute();
        if (profiling) {
            long[] g = graphNanos.computeIfAbsent(name, k -> new long[4]);
            g[0] += System.nanoTime() - t0;
            g[1]++;
            g[2] += r.getProfilerResult().getTotalBytesCopyIn() + r.getProfilerResult().getTotalBytesCopyOut();
            g[3] += r.getProfilerResult().getDataTransfersTime();
            taskNanos.record(name, r);
        }
        return r;
    }

    /**
     * With {@code -Dchameleon.tornado.profile=true}: host wall time per graph since {@link #resetProfile()} and each
     * task's device kernel time in its latest execution (a block task runs once per layer); empty otherwise.
     */
    public String profileReport() {
        if (!profiling) {
            return "";
        }
        StringBuilder b = new StringBuilder("graph (host wall)           calls     total ms   copied MB  transfer ms\n");
        graphNanos.forEach((k, v) -> b.append(String.format(java.util.Locale.ROOT, "  %-24s %8d %12.2f %11.1f %12.2f%n", k,
                v[1], v[0] / 1e6, v[2] / 1e6, v[3] / 1e6)));
        b.append("task (device kernel time of its latest execution)      ms\n");
        b.append(taskNanos.report());
        return b.toString();
    }

    /** Starts the profile afresh. */
    public void resetProfile() {
        graphNanos.clear();
        taskNanos.clear();
    }

    /** Brings the device KV and cross caches to the host arrays. */
    public void downloadCaches() {
        // A result's transferToHost acts on the plan's selected graph, so select the owner first.
        if (last[BLOCK] != null) {
            plan.withGraph(BLOCK);
            cache.download(last[BLOCK]);
        }
        if (last[CONTEXT] != null) {
            plan.withGraph(CONTEXT);
            last[CONTEXT].transferToHost(crossK, crossV);
        }
    }

    @Override
    public void close() {
        Plan.free(plan, "the DiT graphs");
    }
}
