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
    private final Backend host;          // time embedding and other per-forward small ops
    private final DeviceKernels kernels;
    private final int maxFrames;
    private DitGraphs graphs;
    private KvCache owner;
    private Tensor ownerContext;
    private final Set<KvCache> displaced = Collections.newSetFromMap(new WeakHashMap<>());

    public ResidentDit(CausalWanModel model, Backend host, DeviceKernels kernels) {
        this.model = model;
        this.host = host;
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
        int frames = latents.dim(1), height = latents.dim(2), width = latents.dim(3);
        if (timesteps.length != frames) {
            throw new IllegalArgumentException(timesteps.length + " timesteps for " + frames + " latent frames");
        }
        if (cache.layers() != cfg.numLayers()) {
            throw new IllegalArgumentException("KV cache has " + cache.layers() + " layers, model " + cfg.numLayers());
        }
        int gridF = frames / cfg.patch().t(), gridH = height / cfg.patch().h(), gridW = width / cfg.patch().w();
        int tokensPerFrame = gridH * gridW;
        if (cache.geometry().tokensPerFrame() != tokensPerFrame) {
            throw new IllegalArgumentException("KV cache sized for " + cache.geometry().tokensPerFrame()
                    + " tokens per frame, latents give " + tokensPerFrame);
        }
        int tokens = gridF * tokensPerFrame;
        ensureGraphs(tokens, tokensPerFrame, context.dim(0), cache.self(0).capacity());
        claim(cache);
        if (context != ownerContext) {
            for (int l = 0; l < cfg.numLayers(); l++) {
                graphs.runContext(context, l);
            }
            ownerContext = context;
        }

        Tensor patches = model.patchEmbedding().patches(latents);  // [tokens, in·pt·ph·pw]
        TimeEmbedding.Embeddings t = model.timeEmbedding().forward(host, timesteps);
        Tensor[] table = model.rope().tables(ropeStartFrame, gridF, gridH, gridW);
        graphs.runInput(patches, t.e0(), t.e(), table[0], table[1]);
        boolean probing = probe != ActivationProbe.NONE;
        if (probing) {
            probe.record("patch_embed", graphs.residual(tokens, false));
            probe.record("time_e", t.e());
            probe.record("time_e0", t.e0());
            probe.record("text_ctx", context);
        }
        KvWrite first = null;
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
        Tensor out = graphs.runHead(tokens);
        probe.record("head_out", out);
        return model.head().unpatchify(out, gridF, gridH, gridW);
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

    /** Per-graph and per-task times since {@link #resetProfile()}, with {@code -Dchameleon.tornado.profile=true}. */
    public synchronized String profileReport() {
        return graphs == null ? "" : graphs.profileReport();
    }

    public synchronized void resetProfile() {
        if (graphs != null) {
            graphs.resetProfile();
        }
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
