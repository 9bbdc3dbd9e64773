package chameleon.tornado;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvCacheGeometry;
import chameleon.kvcache.KvPlacement;
import chameleon.kvcache.KvRingBuffer;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.dit.DitForward;
import chameleon.runtime.RandomWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.tornado.plan.LinearPlan;
import chameleon.weights.DitConfig;
import chameleon.weights.TensorArchive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Times OUR DiT forward at the real Wan2.2-TI2V-5B shape with deterministic random BF16 weights
 * ({@link RandomWeights}, uniform with std 0.02, the same weights as {@code generate --random-weights
 * wan2.2-ti2v-5b} at the default seed; nothing read from disk), the same measurements as bench/native:
 * <ol>
 *   <li>{@code first_forward_s}: the first forward (plans, JIT, weight upload included), at the
 *       first-chunk window;
 *   <li>{@code first_chunk_window}: steady forwards of a 3-frame chunk (2640 query tokens) over a
 *       cache prefilled with 2 conditioning frames: 5 frames = 4400 KV tokens;
 *   <li>{@code full_window}: steady forwards with the cache filled to 23 frames = 20240 KV tokens;
 *   <li>{@code chunk}: later chunks at the full window, one after the other ({@code --chunks}, 3, as many as the
 *       budget allows): each an appending forward (evicts and rolls the ring buffer) + 4 in-place forwards
 *       (3 remaining steps + the clean pass); {@code chunk_s} is their median, {@code chunk_runs_s} each.
 * </ol>
 * Steady figures are the median of {@code --iters} forwards after one untimed warm-up forward at the same window
 * ({@code <figure>_warmup_s}). TFLOP/s counts linear 2·params·tokens
 * (self q,k,v,o, cross q,o, FFN; cross K/V are cached per prompt) and attention 4·Lq·Lkv·dim per
 * layer (self and cross), MODEL.md §5. With {@code --layers N < 30} the per-layer times × 30 are
 * printed as an explicitly labelled extrapolation. A {@code --budget-seconds} bound, counted from the end of the first
 * forward (whose graphs, JIT and weight upload took 17 to 39 s on H100 leases, so that a budget counted from the start
 * once left the java mode no time for its chunk), stops measuring (between forwards) and prints what it has; every
 * figure is printed (and flushed) as it arrives,
 * one {@code PARTIAL} JSON line each, then a final {@code RESULT} JSON line and a table.
 *
 * <p>Run on the GPU (the weights are device-resident in BF16, ~10 GB; the KV cache is host F32,
 * ~15 GB at 30 layers, so give the JVM heap room):
 * <pre>
 * CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=60GB -Xmx80g" .bundle/run-on-device.sh chameleon.tornado.GpuBench
 * </pre>
 * args: {@code --backend tornado|cpu}, {@code --gemm parallel|local}, {@code --layers N} (30),
 * {@code --iters N} (3), {@code --budget-seconds S} (240), {@code --chunks N} (3), {@code --no-chunk}, {@code --op-by-op} (TornadoBackend op by op,
 * activations and KV cache on the host, instead of the device-resident forward), {@code --tiny} (dim 256,
 * ffn 512, 2 heads, text 16×64, latent 8×8: a code-path check), and the shape:
 * {@code --dim --ffn --text-len --text-dim --height --width} (latent, 44×80), {@code --frames} (3 per chunk),
 * {@code --window-frames} (23), {@code --sink-frames} (5), {@code --cond-frames} (2), {@code --seed}.
 */
public final class GpuBench {
    private GpuBench() {
    }

    /** Standard deviation of the random weights; 0.02 keeps activations finite through 30 blocks. */
    static final float RANDOM_STD = 0.02f;

    private static final Map<String, Object> RESULT = new LinkedHashMap<>();
    private static long deadline;
    private static boolean extrapolate;

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, "GpuBench", Set.of("tiny", "no-chunk", "op-by-op"));
        boolean tiny = a.has("tiny");
        int dim = a.intArg("dim", tiny ? 256 : 3072);
        int ffn = a.intArg("ffn", tiny ? 512 : 14336);
        int layers = a.intArg("layers", tiny ? 1 : 30);
        int textLen = a.intArg("text-len", tiny ? 16 : 512);
        int textDim = a.intArg("text-dim", tiny ? 64 : 4096);
        int height = a.intArg("height", tiny ? 8 : 44);
        int width = a.intArg("width", tiny ? 8 : 80);
        int frames = a.intArg("frames", 3);
        int windowFrames = a.intArg("window-frames", 23);
        int sinkFrames = a.intArg("sink-frames", 5);
        int condFrames = a.intArg("cond-frames", 2);
        int iters = a.intArg("iters", 3);
        double budget = Double.parseDouble(a.get("budget-seconds", "240"));
        long seed = Long.parseLong(a.get("seed", "42"));
        String backendName = a.get("backend", "tornado");
        boolean chunk = !a.has("no-chunk");
        int chunks = a.intArg("chunks", 3);
        if (chunks < 1) {
            throw new IllegalArgumentException("--chunks must be at least 1, got " + chunks);
        }
        boolean opByOp = a.has("op-by-op");
        extrapolate = layers < 30 && dim == 3072 && ffn == 14336;
        long t0 = System.nanoTime();
        long budgetNanos = (long) (budget * 1e9);
        deadline = Long.MAX_VALUE;   // set after the first forward

        DitConfig base = DitConfig.wan22Ti2v5b();
        DitConfig config = new DitConfig(dim, ffn, dim / DitConfig.HEAD_DIM, DitConfig.HEAD_DIM, layers, base.inDim(),
                base.outDim(), base.patch(), textDim, base.freqDim(), base.eps(), base.qkNorm(), base.crossAttnNorm());
        int tokensPerFrame = (height / config.patch().h()) * (width / config.patch().w());
        int lq = frames * tokensPerFrame;
        int firstKv = (condFrames + frames) * tokensPerFrame;
        int fullKv = windowFrames * tokensPerFrame;

        put("bench", "chameleon-j GpuBench");
        put("java", Runtime.version().toString());
        put("backend", backendName);
        put("config", config.summary());
        put("layers", layers);
        put("query_tokens", lq);
        put("text_tokens", textLen);
        put("kv_first_chunk", firstKv);
        put("kv_full", fullKv);
        put("iters", iters);
        put("budget_s", budget);
        put("max_heap_gib", round(Runtime.getRuntime().maxMemory() / 1073741824.0, 1));
        put("tornado_device_memory", System.getProperty("tornado.device.memory", "(unset)"));
        partial("setup");

        long tw = System.nanoTime();
        TensorArchive weights = RandomWeights.create("<random weights>", config.expectedTensors(), seed, DType.BF16,
                RandomWeights.Scale.fixed(RANDOM_STD));
        put("parameters", parameters(weights));
        put("random_weights_s", secs(tw));
        partial("weights");

        Backend inner;
        TornadoBackend tornado = null;
        if (backendName.equals("cpu")) {
            inner = new CpuBackend();
        } else if (backendName.equals("tornado")) {
            tornado = new TornadoBackend(LinearPlan.Gemm.valueOf(a.get("gemm", "parallel").toUpperCase(Locale.ROOT)));
            inner = tornado;
            put("gemm", tornado.gemm().toString());
            put("path", opByOp ? "op by op (activations on the host)" : "device-resident (DitGraphs)");
            put("device", TornadoBackend.deviceDescription());
        } else {
            throw new IllegalArgumentException("--backend tornado|cpu, not " + backendName);
        }
        ProfilingBackend backend = new ProfilingBackend(inner);
        CpuBackend cpu = new CpuBackend();
        try {
            CausalWanModel model = new CausalWanModel(weights, config);
            // The device-resident forward keeps the KV cache on the device; the op-by-op path (and the CPU)
            // go through the profiling backend, op by op.
            DitForward dit = tornado != null && !opByOp ? tornado.residentForward(model)
                    : (l, ts, r, pl, c, k, pr) -> model.forward(backend, l, ts, r, pl, c, k, pr);
            boolean resident = tornado != null && !opByOp;
            if (resident) {
                put("kernels", ((ResidentDit) dit).kernels());
            }
            SplittableRandom rnd = new SplittableRandom(seed + 1);
            Tensor text = random(rnd, 1f, textLen, textDim);
            Tensor latents = random(rnd, 1f, config.inDim(), frames, height, width);
            long[] steps = {1000, 936, 832, 624};

            double linFlops = 2.0 * lq * layers * (6.0 * dim * dim + 2.0 * dim * ffn);
            double crossFlops = 4.0 * lq * textLen * dim * layers;
            double firstFlops = linFlops + crossFlops + 4.0 * lq * firstKv * dim * layers;
            double fullFlops = linFlops + crossFlops + 4.0 * lq * fullKv * dim * layers;
            put("gflop_per_forward_first_chunk", round(firstFlops / 1e9, 1));
            put("gflop_per_forward_full", round(fullFlops / 1e9, 1));

            long tt = System.nanoTime();
            Tensor context = model.embedText(backend, text);
            put("text_embedding_first_s", secs(tt));

            KvCache cache = new KvCache(new KvCacheGeometry(tokensPerFrame, windowFrames, sinkFrames, windowFrames),
                    layers, config.numHeads(), config.headDim());
            // (1)+(2): first-chunk window: cond frames prefilled (K/V contents do not matter for timing)
            KvPlacement first = new KvPlacement.Stream(condFrames * tokensPerFrame);
            Tensor out;
            double firstS;
            reset(backend, dit);
            if (resident) {
                // the real prefill (cond frames at t=0) is the first forward: graphs, JIT and weight upload included
                long tp = System.nanoTime();
                dit.forward(Tensor.zeros(config.inDim(), condFrames, height, width), new long[condFrames], 0,
                        new KvPlacement.Stream(0), context, cache, ActivationProbe.NONE);
                put("first_forward_s", secs(tp));
                put("first_forward_is", "prefill of " + condFrames + " cond frames (JIT + weight upload included)");
                long tf = System.nanoTime();
                out = dit.forward(latents, new long[] {steps[0], steps[0], steps[0]}, condFrames, first, context, cache,
                        ActivationProbe.NONE);
                put("second_forward_s", secs(tf));
                firstS = (double) RESULT.get("first_forward_s");
            } else {
                prefill(cache, cpu, condFrames * tokensPerFrame, config);
                long tf = System.nanoTime();
                out = dit.forward(latents, new long[] {steps[0], steps[0], steps[0]}, condFrames, first,
                        context, cache, ActivationProbe.NONE);
                firstS = secs(tf);
            }
            RESULT.putIfAbsent("first_forward_s", firstS);
            put("first_forward_finite", finite(out));
            put("first_forward_mean_abs", meanAbs(out)); // compare --backend cpu vs tornado (same seed)
            put("first_forward_profile", report(backend, dit));
            System.out.print("profile of the first forward (plans, JIT, weight upload included):\n" + report(backend, dit));
            partial("first_forward");
            deadline = System.nanoTime() + budgetNanos;

            steady("first_chunk_window", dit, backend, latents, condFrames, first, context, cache, iters, firstFlops,
                    layers);

            // (3): full window
            if (!overBudget()) {
                for (int i = 0; i < layers; i++) {
                    cache.self(i).truncate(0, 0);
                }
                int pre = (windowFrames - frames) * tokensPerFrame;
                if (resident) {
                    // counters only: the device rows keep whatever they hold (the timing does not depend on them)
                    for (int i = 0; i < layers; i++) {
                        cache.self(i).planWrite(pre, 0);
                    }
                } else {
                    prefill(cache, cpu, pre, config);
                }
                KvPlacement full = new KvPlacement.Stream(pre);
                steady("full_window", dit, backend, latents, windowFrames - frames, full, context, cache, iters,
                        fullFlops, layers);

                // (4): later chunks, one after the other: each an appending forward (eviction + roll) + 4 in-place
                // forwards; the median of those that fit the budget (one chunk is one sample: ±5 % between runs)
                if (chunk && !overBudget()) {
                    reset(backend, dit);
                    List<Double> runs = new ArrayList<>();
                    for (int c = 0; c < chunks && !overBudget(); c++) {
                        int frame = windowFrames + c * frames;
                        KvPlacement next = new KvPlacement.Stream(frame * tokensPerFrame);
                        long tc = System.nanoTime();
                        int done = 0;
                        for (int s = 0; s < 5 && !overBudget(); s++) {
                            long ts = s < 4 ? steps[s] : 0;
                            dit.forward(latents, new long[] {ts, ts, ts}, frame, next, context, cache,
                                    ActivationProbe.NONE);
                            done++;
                        }
                        if (done < 5) {
                            put("chunk_incomplete", done + " of 5 forwards of chunk " + (c + 1) + " in "
                                    + round(secs(tc), 3) + " s (budget)");
                            break;
                        }
                        runs.add(round(secs(tc), 4));
                    }
                    if (!runs.isEmpty()) {
                        double cs = round(BenchArgs.median(runs), 4);
                        put("chunk_runs_s", runs);
                        put("chunk_s", cs);
                        put("chunk_tflops", round(5 * fullFlops / cs / 1e12, 3));
                        if (extrapolate) {
                            put("chunk_s_extrapolated_30_layers", round(cs / layers * 30, 3));
                        }
                    }
                    put("chunk_profile", report(backend, dit));
                    System.out.print("profile of the later chunks (5 forwards each, full window):\n" + report(backend, dit));
                    partial("chunk");
                }
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            put("error", e.toString());
            e.printStackTrace(System.out);
        } finally {
            Double gpuMemory = gpuMemoryUsedGib();
            if (gpuMemory != null) {
                put("gpu_memory_used_gib", gpuMemory);
            }
            put("total_s", secs(t0));
            put("budget_exhausted", overBudget());
            if (tornado != null) {
                tornado.close();
            }
        }
        System.out.println("RESULT " + BenchArgs.json(RESULT));
        table(layers);
        System.out.flush();
        System.exit(RESULT.containsKey("error") ? 1 : 0);
    }

    private static void reset(ProfilingBackend backend, DitForward dit) {
        backend.reset();
        if (dit instanceof ResidentDit r) {
            r.resetProfile();
        }
    }

    /**
     * Device memory in use on GPU 0 as nvidia-smi reports it (GiB), read after the measurements: TornadoVM keeps
     * its buffers between forwards, so this is the high-water mark of the run; null where nvidia-smi is absent.
     */
    static Double gpuMemoryUsedGib() {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                return null;
            }
            return round(Double.parseDouble(out) / 1024.0, 2); // MiB → GiB
        } catch (java.io.IOException | NumberFormatException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The per-op profile (op by op) or the resident graphs' per-task profile (-Dchameleon.tornado.profile=true). */
    private static String report(ProfilingBackend backend, DitForward dit) {
        return dit instanceof ResidentDit r ? r.profileReport() : backend.report();
    }

    private static void steady(String key, DitForward dit, ProfilingBackend backend, Tensor latents,
                               int ropeStart, KvPlacement placement, Tensor context, KvCache cache, int iters,
                               double flops, int layers) {
        List<Double> times = new ArrayList<>();
        // one untimed forward first: a window's first forward pays first-time costs of its own (e.g. the cuDNN plan for
        // its key length: 184 against 84 ms, session 9), which a median of two would halve into the figure
        if (!overBudget()) {
            long t = System.nanoTime();
            dit.forward(latents, new long[] {936, 936, 936}, ropeStart, placement, context, cache,
                    ActivationProbe.NONE);
            put(key + "_warmup_s", round(secs(t), 4));
            System.out.printf(Locale.ROOT, "  %s warm-up forward (untimed in the figure): %.3f s%n", key, secs(t));
        }
        reset(backend, dit);
        for (int i = 0; i < iters && !overBudget(); i++) {
            long t = System.nanoTime();
            dit.forward(latents, new long[] {936, 936, 936}, ropeStart, placement, context, cache,
                    ActivationProbe.NONE);
            times.add(secs(t));
            System.out.printf(Locale.ROOT, "  %s forward %d: %.3f s%n", key, i + 1, times.getLast());
            System.out.flush();
        }
        if (times.isEmpty()) {
            put(key + "_skipped", "budget");
            partial(key);
            return;
        }
        double med = BenchArgs.median(times);
        put(key + "_forward_s", times);
        put(key + "_median_s", round(med, 4));
        put(key + "_tflops", round(flops / med / 1e12, 3));
        put(key + "_per_layer_ms", round(med / layers * 1e3, 2));
        if (extrapolate) {
            put(key + "_median_s_extrapolated_30_layers", round(med / layers * 30, 3));
        }
        put(key + "_profile", report(backend, dit));
        System.out.print("profile of " + times.size() + " forwards, " + key + ":\n" + report(backend, dit));
        partial(key);
    }

    /** Fills rows [0, tokens) of every layer's ring buffer through the stream rule (on the CPU: zeros). */
    private static void prefill(KvCache cache, CpuBackend cpu, int tokens, DitConfig config) {
        if (tokens == 0) {
            return;
        }
        Tensor zeros = Tensor.zeros(tokens, config.numHeads(), config.headDim());
        for (int i = 0; i < cache.layers(); i++) {
            KvRingBuffer b = cache.self(i);
            b.write(cpu, zeros, zeros, 0);
        }
    }

    private static Tensor random(SplittableRandom r, float scale, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] v = t.array();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return t;
    }

    private static boolean finite(Tensor t) {
        for (float f : t.toFloatArray()) {
            if (!Float.isFinite(f)) {
                return false;
            }
        }
        return true;
    }

    private static double meanAbs(Tensor t) {
        double s = 0;
        float[] v = t.toFloatArray();
        for (float f : v) {
            s += Math.abs(f);
        }
        return s / v.length;
    }

    private static boolean overBudget() {
        return System.nanoTime() > deadline;
    }

    private static double secs(long t0) {
        return round((System.nanoTime() - t0) / 1e9, 4);
    }

    static double round(double v, int digits) {
        double p = Math.pow(10, digits);
        return Math.round(v * p) / p;
    }


    private static void put(String k, Object v) {
        RESULT.put(k, v);
    }

    private static int printed;

    /** Prints the figures added since the last PARTIAL line (profiles are printed as text instead). */
    private static void partial(String stage) {
        Map<String, Object> fresh = new LinkedHashMap<>();
        int i = 0;
        for (var e : RESULT.entrySet()) {
            if (i++ >= printed && !e.getKey().endsWith("_profile")) {
                fresh.put(e.getKey(), e.getValue());
            }
        }
        printed = RESULT.size();
        System.out.println("PARTIAL " + stage + " " + BenchArgs.json(fresh));
        System.out.flush();
    }

    private static void table(int layers) {
        String ex = extrapolate ? "  (x30 extrapolated from " + layers + " layers: see *_extrapolated_30_layers)" : "";
        System.out.println("== GpuBench: " + RESULT.get("backend") + " " + RESULT.getOrDefault("device", "") + ", "
                + RESULT.get("config") + ex);
        System.out.printf(Locale.ROOT, "%-34s %12s %10s%n", "measurement", "seconds", "TFLOP/s");
        row("first forward (JIT + upload)", RESULT.get("first_forward_s"), null);
        row("forward, KV " + RESULT.get("kv_first_chunk") + " (median)", RESULT.get("first_chunk_window_median_s"),
                RESULT.get("first_chunk_window_tflops"));
        row("forward, KV " + RESULT.get("kv_full") + " (median)", RESULT.get("full_window_median_s"),
                RESULT.get("full_window_tflops"));
        row("chunk: 5 forwards, full window (median)", RESULT.get("chunk_s"), RESULT.get("chunk_tflops"));
        if (extrapolate) {
            row("EXTRAPOLATED x30: fwd KV first", RESULT.get("first_chunk_window_median_s_extrapolated_30_layers"), null);
            row("EXTRAPOLATED x30: fwd KV full", RESULT.get("full_window_median_s_extrapolated_30_layers"), null);
            row("EXTRAPOLATED x30: chunk", RESULT.get("chunk_s_extrapolated_30_layers"), null);
        }
        System.out.println("native bf16 flash on the H100 (bench/native): 92 ms / 136 ms per forward, 582 ms per later chunk");
    }

    private static void row(String what, Object s, Object tf) {
        System.out.printf(Locale.ROOT, "%-34s %12s %10s%n", what, s == null ? "-" : s, tf == null ? "-" : tf);
    }






    /** Parameter count (elements over all tensors). */
    private static long parameters(TensorArchive archive) {
        long n = 0;
        for (String name : archive.names()) {
            n += archive.info(name).shape().numel();
        }
        return n;
    }
}
