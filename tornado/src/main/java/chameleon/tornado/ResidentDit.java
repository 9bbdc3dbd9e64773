package chameleon.tornado;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvPlacement;
import chameleon.kvcache.KvRingBuffer;
import chameleon.kvcache.KvWrite;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.dit.DitForward;
import chameleon.layers.dit.TimeEmbedding;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.tornado.plan.DeviceKernels;
import chameleon.tornado.plan.DitGraphs;
import chameleon.weights.DitConfig;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * A {@link CausalWanModel}'s forward with everything heavy on the device ({@link DitGraphs}): the
 * activations, every layer's KV ring buffer and the prompt's cross-attention K/V stay there between
 * forwards; a forward uploads its patches, time embeddings and RoPE tables and downloads the head output.
 * The ring buffers' counters stay on the host ({@link KvRingBuffer#planWrite}), so the device performs
 * exactly the host's row moves.
 *
 * <p>The device holds the KV cache of one session at a time. A fresh cache takes the device over (the
 * previous owner's rows are copied to its host tensors first); a cache displaced that way cannot be
 * resumed on the device (its forward fails with a message saying so).
 *
 * <p>Forwards run on {@code rows} token rows, sized at the first forward for
 * {@code -Dchameleon.tornado.maxFrames} latent frames (default 3, the causal model's chunk); a longer
 * forward, another prompt length or another cache capacity rebuilds the graphs (JIT and weight upload
 * again).
 */
public final class ResidentDit implements DitForward, AutoCloseable {
    private final CausalWanModel model;
    private final TimeEmbedding.Memo timeEmbeddings; // time_embedding + time_projection on the host backend, memoised
    private final DeviceKernels kernels;
    private final int maxFrames;
    private DitGraphs graphs;
    private KvCache owner;
    private Tensor ownerContext;
    private final Set<KvCache> displaced = Collections.newSetFromMap(new WeakHashMap<>());

    public ResidentDit(CausalWanModel model, Backend host, DeviceKernels kernels) {
        this.model = model;
        // 16 vectors: the steps and clean pass of a chunk (5) and the prefill's, with room for a second frame count
        this.timeEmbeddings = new TimeEmbedding.Memo(model.timeEmbedding(), host, 16);
        this.kernels = kernels;
        this.maxFrames = Integer.getInteger("chameleon.tornado.maxFrames", 3);
    }

    /** "java" or "vendor". */
    public String kernels() {
        return kernels.name();
    }

    @Override
    public synchronized Tensor forward(Tensor latents, long[] timesteps, int ropeStartFrame, KvPlacement placement,
                                       Tensor context, KvCache cache, ActivationProbe probe) {
        DitConfig cfg = model.config();
        CausalWanModel.TokenGrid grid = model.tokenGrid(latents, timesteps, cache);
        int gridF = grid.frames(), gridH = grid.rows(), gridW = grid.cols();
        int tokensPerFrame = grid.tokensPerFrame(), tokens = grid.tokens();
        ensureGraphs(tokens, tokensPerFrame, context.dim(0), cache.self(0).capacity());
        claim(cache);
        if (context != ownerContext) {
            graphs.runContext(context);
            ownerContext = context;
        }

        long t0 = System.nanoTime();
        Tensor patches = model.patchEmbedding().patches(latents);  // [tokens, in·pt·ph·pw]
        long t1 = System.nanoTime();
        TimeEmbedding.Embeddings t = timeEmbeddings.get(timesteps);
        long t2 = System.nanoTime();
        Tensor[] table = ropeTables(ropeStartFrame, gridF, gridH, gridW);
        long t3 = System.nanoTime();
        graphs.runInput(patches, t.e0(), t.e(), table[0], table[1]);
        long t4 = System.nanoTime();
        phase("host: patchify", t1 - t0);
        phase("host: time embedding (memoised)", t2 - t1);
        phase("host: RoPE tables", t3 - t2);
        phase("forward: input", t4 - t3);
        boolean probing = probe != ActivationProbe.NONE;
        if (probing) {
            probe.record("patch_embed", graphs.residual(tokens, false));
            probe.record("time_e", t.e());
            probe.record("time_e0", t.e0());
            probe.record("text_ctx", context);
        }
        KvWrite first = null;
        long t5 = System.nanoTime();
        for (int l = 0; l < cfg.numLayers(); l++) {
            KvWrite move = placement.plan(cache.self(l), tokens);
            if (first == null) {
                first = move;
            } else if (!first.equals(move)) {
                throw new IllegalStateException("KV caches of layers 0 and " + l + " disagree (" + first + " vs " + move
                        + "): every layer's ring buffer must see the same writes");
            }
            graphs.runBlock(l, move);
            if (probing) {
                probe.record("block" + l + "_out", graphs.residual(tokens, true));
            }
        }
        long t6 = System.nanoTime();
        Tensor out = graphs.runHead(tokens);
        probe.record("head_out", out);
        long t7 = System.nanoTime();
        Tensor v = model.head().unpatchify(out, gridF, gridH, gridW);
        phase("forward: blocks", t6 - t5);
        phase("forward: head + download", t7 - t6);
        phase("host: unpatchify", System.nanoTime() - t7);
        return v;
    }

    private void ensureGraphs(int tokens, int tokensPerFrame, int textLen, int cacheRows) {
        DitConfig cfg = model.config();
        if (graphs != null) {
            DitGraphs.Dims d = graphs.dims();
            if (tokens <= d.rows() && d.tokensPerFrame() == tokensPerFrame && d.textLen() == textLen
                    && d.cacheRows() == cacheRows) {
                return;
            }
            System.err.println("[chameleon] rebuilding the device DiT graphs for " + tokens + " rows, prompt " + textLen
                    + ", cache " + cacheRows + " rows (was " + d + ")");
            if (owner != null) {
                syncToHost(owner);
                displaced.add(owner);
                owner = null;
            }
            graphs.close();
            graphs = null;
        }
        int rows = roundUp(Math.max(tokens, maxFrames * tokensPerFrame), 128);
        DitConfig.Patch p = cfg.patch();
        graphs = new DitGraphs(model, new DitGraphs.Dims(rows, tokensPerFrame, cfg.inDim() * p.volume(), cfg.dim(),
                cfg.numHeads(), cfg.headDim(), cfg.ffnDim(), cfg.outDim() * p.volume(), textLen, cacheRows,
                cfg.numLayers()), kernels);
        ownerContext = null;
    }

    /** Makes {@code cache} the one on the device. */
    private void claim(KvCache cache) {
        if (cache == owner) {
            return;
        }
        if (displaced.contains(cache)) {
            throw new IllegalStateException("this KV cache was moved off the device when another session's cache took "
                    + "it over; the TornadoVM DiT holds one session's cache at a time: close the other session, or "
                    + "run with -Dchameleon.tornado.resident=false (per-op path, host-resident cache)");
        }
        if (cache.self(0).localEnd() != 0 || cache.self(0).globalEnd() != 0) {
            throw new IllegalStateException("this KV cache was filled outside the device (" + cache.self(0).localEnd()
                    + " rows): a device-resident forward starts from an empty cache");
        }
        if (owner != null) {
            syncToHost(owner);
            displaced.add(owner);
        }
        owner = cache;
        ownerContext = null;
    }

    @Override
    public synchronized void syncToHost(KvCache cache) {
        if (cache != owner || graphs == null) {
            return; // never on the device, or already copied back when it was displaced
        }
        graphs.downloadCaches();
        for (int l = 0; l < cache.layers(); l++) {
            KvRingBuffer kv = cache.self(l);
            graphs.copyLayerCache(l, kv.keys(), kv.values());
            if (ownerContext != null) {
                Tensor[] kvCross = graphs.crossLayer(l);
                cache.cross(l).set(kvCross[0], kvCross[1]);
            }
        }
    }

    /** Per-phase, per-graph and per-task times since {@link #resetProfile()}, with {@code -Dchameleon.tornado.profile=true}. */
    public synchronized String profileReport() {
        if (graphs == null || !PROFILING) {
            return "";
        }
        StringBuilder b = new StringBuilder("phase of a forward (host wall)         total ms\n");
        phases.forEach((k, v) -> b.append(String.format(java.util.Locale.ROOT, "  %-34s %10.2f%n", k, v / 1e6)));
        return b + graphs.profileReport();
    }

    public synchronized void resetProfile() {
        phases.clear();
        if (graphs != null) {
            graphs.resetProfile();
        }
    }

    private static final boolean PROFILING = Boolean.getBoolean("chameleon.tornado.profile");
    private final java.util.Map<String, Long> phases = new java.util.LinkedHashMap<>();

    private void phase(String name, long nanos) {
        if (PROFILING) {
            phases.merge(name, nanos, Long::sum);
        }
    }

    // The RoPE angles depend only on the token grid and the first frame: the steps and the clean pass of a
    // chunk ask for the same tables.
    private int[] lastTableKey;
    private Tensor[] lastTables;

    private Tensor[] ropeTables(int startFrame, int frames, int rows, int cols) {
        int[] key = {startFrame, frames, rows, cols};
        if (!java.util.Arrays.equals(key, lastTableKey)) {
            lastTables = model.rope().tables(startFrame, frames, rows, cols);
            lastTableKey = key;
        }
        return lastTables;
    }

    private static int roundUp(int v, int multiple) {
        return (v + multiple - 1) / multiple * multiple;
    }

    @Override
    public synchronized void close() {
        if (graphs != null) {
            graphs.close();
            graphs = null;
        }
    }
}
