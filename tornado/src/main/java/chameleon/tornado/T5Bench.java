package chameleon.tornado;

import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.text.T5Config;
import chameleon.text.TokenizedPrompt;
import chameleon.text.UmT5Encoder;
import chameleon.tornado.plan.LinearPlan;
import chameleon.weights.InMemoryArchive;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Times the umT5-XXL text encoder ({@link UmT5Encoder}, the engine's own code) at the real shape
 * ({@link T5Config#UMT5_XXL}: 24 layers, dim 4096, ffn 10 240, 64 heads × 64, 256 384 embedding rows) on
 * deterministic random BF16 weights built in memory (nothing read from disk):
 * <ol>
 *   <li>{@code gpu_first_s}: the first encode of a {@code --tokens} (512) prompt on the TornadoVM backend,
 *       plans, JIT and the upload of the 9.3 GB of block weights included;
 *   <li>{@code gpu_encode_s}: the median of {@code --iters} warm encodes of the same prompt: issue 10's
 *       "time to encode a 512-token prompt with the full model on the GPU";
 *   <li>{@code cpu_encode_s}: one encode of a shorter {@code --cpu-tokens} (32) prompt on the CPU backend,
 *       and the same prompt on the GPU, with the max |difference| of the two outputs (a correctness check
 *       at the real shape; the CPU at 512 tokens would take minutes).
 * </ol>
 * Only the embedding rows of the prompt's token ids are random (the rest stay 0): the encoder reads one
 * row per token on the host, so the other rows never matter, and drawing 1 B values would only cost time.
 * Block weights are uniform with the standard deviation of PyTorch's default init scale 1/√fan_in, norm
 * weights 1, relative-position tables std 0.5. Like the engine, the attention core (per head q·kᵀ + bias,
 * softmax, p·v) runs on the host's CPU backend (see {@code T5Block}); the per-op profile shows its share.
 *
 * <p>Heap: the BF16 weights, 11.4 GB; device: the block weights, 9.3 GB:
 * <pre>
 * CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=24GB -Xmx32g" .bundle/run-on-device.sh chameleon.tornado.T5Bench
 * </pre>
 * args: {@code --tokens N} (512), {@code --cpu-tokens N} (32; 0 skips the CPU run), {@code --iters N} (3),
 * {@code --layers N} (24), {@code --gemm parallel|local}, {@code --seed S}, {@code --tiny} (dim 64, 4 heads,
 * ffn 128, 2 layers, 384 rows, 48 / 16 tokens: a code-path check that runs on PoCL in seconds).
 */
public final class T5Bench {
    private static final int CHUNK = 1 << 20;
    private static final int FIRST_NORMAL_ID = 259; // after pad, EOS, unk and the 256 byte pieces
    private static final int EOS = 1;

    private T5Bench() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, "T5Bench", Set.of("tiny"));
        boolean tiny = a.has("tiny");
        T5Config full = T5Config.UMT5_XXL;
        T5Config config = tiny ? new T5Config(384, 64, 64, 4, 128, 2, 32, 128, 1e-6f)
                : new T5Config(full.vocab(), full.dim(), full.dimAttn(), full.heads(), full.dimFfn(),
                a.intArg("layers", full.layers()), full.numBuckets(), full.maxDist(), full.eps());
        int tokens = a.intArg("tokens", tiny ? 48 : 512);
        int cpuTokens = a.intArg("cpu-tokens", tiny ? 16 : 32);
        int iters = a.intArg("iters", 3);
        long seed = Long.parseLong(a.get("seed", "10"));
        if (tokens < 1 || tokens > 4096 || cpuTokens < 0 || iters < 1) {
            throw new IllegalArgumentException("--tokens must be in 1..4096, --cpu-tokens ≥ 0, --iters ≥ 1");
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("bench", "chameleon-j T5Bench");
        result.put("config", config.toString());
        result.put("tokens", tokens);
        result.put("max_heap_gib", Math.round(Runtime.getRuntime().maxMemory() / 1073741824.0 * 10) / 10.0);
        result.put("tornado_device_memory", System.getProperty("tornado.device.memory", "(unset)"));

        TokenizedPrompt prompt = prompt(config, tokens, seed + 1);
        TokenizedPrompt shortPrompt = cpuTokens == 0 ? null : prompt(config, cpuTokens, seed + 2);
        long t0 = System.nanoTime();
        InMemoryArchive weights = weights(config, seed, prompt, shortPrompt);
        result.put("random_weights_s", secs(t0));
        result.put("parameters", parameters(config));
        double linearFlops = 2.0 * config.layers() * (4.0 * config.dim() * config.dimAttn() + 3.0 * config.dim() * config.dimFfn());
        double gflop = (linearFlops * tokens + 4.0 * config.layers() * (double) tokens * tokens * config.dimAttn()) / 1e9;
        result.put("gflop_per_encode", Math.round(gflop * 10) / 10.0);
        print("weights", result);

        LinearPlan.Gemm gemm = LinearPlan.Gemm.valueOf(a.get("gemm", "parallel").toUpperCase(Locale.ROOT));
        Tensor gpuShort = null;
        try (TornadoBackend tornado = new TornadoBackend(gemm)) {
            result.put("device", TornadoBackend.deviceDescription());
            result.put("gemm", tornado.gemm().toString());
            ProfilingBackend profiled = new ProfilingBackend(tornado);
            UmT5Encoder gpu = new UmT5Encoder(weights, config, profiled);
            t0 = System.nanoTime();
            Tensor first = gpu.encode(prompt);
            result.put("gpu_first_s", secs(t0));
            result.put("gpu_out_mean_abs", meanAbs(first, tokens * config.dim()));
            print("gpu first encode (plans, JIT, weight upload)", result);
            System.out.print(profiled.report());
            profiled.reset();
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < iters; i++) {
                t0 = System.nanoTime();
                Tensor again = gpu.encode(prompt);
                times.add(secs(t0));
                if (!Arrays.equals(again.toFloatArray(), first.toFloatArray())) {
                    result.put("gpu_repeat_differs", true); // a race in a kernel would show here
                }
            }
            double median = BenchArgs.median(times);
            result.put("gpu_encode_runs_s", times);
            result.put("gpu_encode_s", median);
            result.put("gpu_tokens_per_s", Math.round(tokens / median * 10) / 10.0);
            result.put("gpu_tflops", Math.round(gflop / median / 1e3 * 1000) / 1000.0);
            print("gpu warm encodes of " + tokens + " tokens (per-op profile of all " + iters + " below)", result);
            System.out.print(profiled.report());
            System.out.println("  (the rest of each encode: the attention core on the host CPU, embedding rows, copies)");
            if (shortPrompt != null) {
                gpuShort = gpu.encode(shortPrompt);
            }
        }
        if (shortPrompt != null) {
            UmT5Encoder cpu = new UmT5Encoder(weights, config, new CpuBackend());
            t0 = System.nanoTime();
            Tensor cpuShort = cpu.encode(shortPrompt);
            double s = secs(t0);
            result.put("cpu_tokens", cpuTokens);
            result.put("cpu_encode_s", s);
            result.put("cpu_tokens_per_s", Math.round(cpuTokens / s * 10) / 10.0);
            result.put("cpu_vs_gpu_max_abs_diff", maxAbsDiff(cpuShort, gpuShort));
            print("cpu encode of " + cpuTokens + " tokens (first run, JIT included) and gpu vs cpu", result);
        }
        System.out.println("RESULT " + BenchArgs.json(result));
        System.out.printf(Locale.ROOT, "%nT5Bench: umT5 encoder %d layers, %d tokens: GPU %.3f s warm (%.1f tokens/s),"
                        + " first %.2f s; CPU %s%n", config.layers(), tokens, (double) result.get("gpu_encode_s"),
                (double) result.get("gpu_tokens_per_s"), (double) result.get("gpu_first_s"),
                shortPrompt == null ? "skipped" : String.format(Locale.ROOT, "%.2f s for %d tokens, max |gpu − cpu| %.2e",
                        (double) result.get("cpu_encode_s"), cpuTokens, (double) result.get("cpu_vs_gpu_max_abs_diff")));
    }

    /** [len] random ordinary-piece ids ending in EOS, all kept (no padding): the encoder computes every row. */
    private static TokenizedPrompt prompt(T5Config config, int len, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[len];
        for (int i = 0; i < len - 1; i++) {
            ids[i] = FIRST_NORMAL_ID + r.nextInt(Math.min(config.vocab(), 256_000) - FIRST_NORMAL_ID);
        }
        ids[len - 1] = EOS;
        int[] mask = new int[len];
        Arrays.fill(mask, 1);
        return new TokenizedPrompt(ids, mask, len);
    }

    /** Every tensor of {@code config.expectedTensors()}, BF16; embedding rows only for the prompts' ids. */
    private static InMemoryArchive weights(T5Config config, long seed, TokenizedPrompt... prompts) {
        InMemoryArchive archive = new InMemoryArchive("<random umT5 weights>");
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            String name = e.getKey();
            Shape shape = e.getValue();
            short[] data = new short[Math.toIntExact(shape.numel())];
            long nameSeed = seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
            if (name.endsWith("norm1.weight") || name.endsWith("norm2.weight") || name.equals("norm.weight")) {
                Arrays.fill(data, bf16(1f));
            } else if (name.equals("token_embedding.weight")) {
                int dim = shape.dim(1);
                for (TokenizedPrompt p : prompts) {
                    for (int id : p == null ? new int[0] : p.ids()) {
                        SplittableRandom r = new SplittableRandom(nameSeed + id);
                        for (int c = 0; c < dim; c++) {
                            data[id * dim + c] = bf16((float) ((r.nextDouble() * 2 - 1) * Math.sqrt(3.0)));
                        }
                    }
                }
            } else {
                double std = name.contains("pos_embedding") ? 0.5 : 1.0 / Math.sqrt(shape.dim(1));
                fillUniform(data, std, nameSeed);
            }
            archive.put(name, Tensor.wrap(DType.BF16, shape, MemorySegment.ofArray(data)));
        }
        return archive;
    }

    /** Uniform values of standard deviation {@code std}, in parallel chunks each seeded by its index. */
    private static void fillUniform(short[] data, double std, long seed) {
        float bound = (float) (std * Math.sqrt(3.0));
        int chunks = (data.length + CHUNK - 1) / CHUNK;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            SplittableRandom r = new SplittableRandom(seed + 0x632BE59BD9B4E019L * c);
            int to = Math.min(data.length, c * CHUNK + CHUNK);
            for (int i = c * CHUNK; i < to; i++) {
                data[i] = bf16((float) ((r.nextDouble() * 2 - 1) * bound));
            }
        });
    }

    private static long parameters(T5Config config) {
        return config.expectedTensors().values().stream().mapToLong(Shape::numel).sum();
    }

    private static short bf16(float f) {
        return (short) (Float.floatToRawIntBits(f) >>> 16); // truncation: the values are random anyway
    }

    private static double meanAbs(Tensor t, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.abs(t.getFloat(i));
        }
        return s / n;
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    private static double secs(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e5) / 1e4;
    }


    private static void print(String stage, Map<String, Object> result) {
        System.out.println("PARTIAL " + stage + ": " + BenchArgs.json(result));
        System.out.flush();
    }



}
