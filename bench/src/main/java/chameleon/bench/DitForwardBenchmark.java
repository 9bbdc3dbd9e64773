package chameleon.bench;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvCacheGeometry;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.runtime.RandomStateDict;
import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.DitConfig;
import chameleon.weights.SafetensorsWriter;
import chameleon.weights.TensorArchive;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One {@code CausalWanModel.forward} of a mid-size causal DiT on the CPU backend, in the steady state
 * of a streaming session: a denoising step of a 3-frame chunk whose queries attend to a full KV
 * window.
 *
 * <p>Model: dim 512 (4 heads × 128), ffn 1024, 4 blocks, in/out 48, patch 1×2×2, text 64-wide × 16
 * tokens, BF16 weights memory-mapped from a safetensors file written in the setup with deterministic
 * random values ({@link RandomStateDict}). Latents [48, 3, 16, 16]: 64 tokens per frame, 192 per
 * chunk. KV cache: a 10-frame window (640 tokens) with a 5-frame sink. The setup runs the session up
 * to there (conditioning frames 0–1 at t=0, then chunks at frames 2, 5 and 8, the last one evicting);
 * each measured call repeats the chunk at frame 8, which overwrites its own K/V in place, so every
 * call does the same work: 192 queries over 640 keys per layer.
 *
 * <p>GFLOP/s counts the matrix products only ({@link #flops()}: linear layers, patch embedding, head,
 * time embedding, QKᵀ and PV of self- and cross-attention); norms, RoPE, modulation and the text's
 * cross-attention K/V (computed once per prompt, in the setup) are not counted.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class DitForwardBenchmark {
    static final DitConfig CONFIG = new DitConfig(512, 1024, 4, DitConfig.HEAD_DIM, 4, 48, 48,
            new DitConfig.Patch(1, 2, 2), 64, 256, DitConfig.EPS, true, true);
    static final int TEXT_LEN = 16;
    static final int FRAMES = 3;
    static final int LATENT_H = 16;
    static final int LATENT_W = 16;
    static final int WINDOW_FRAMES = 10;
    static final int SINK_FRAMES = 5;
    static final int CONDITIONING_FRAMES = 2;
    /** The chunk every measured call repeats; chunks before it fill (and overflow) the window. */
    static final int MEASURED_START_FRAME = 8;
    static final long TIMESTEP = 1000;

    private final Backend cpu = new CpuBackend();
    private TempDirectory dir;
    private TensorArchive archive;
    private CausalWanModel model;
    private Tensor context;
    private KvCache cache;
    private Tensor latents;
    private long[] timesteps;

    @Setup
    public void setUp() throws IOException {
        dir = new TempDirectory("chameleon-bench-dit-");
        Path file = dir.path().resolve("dit.safetensors");
        SafetensorsWriter.write(file, RandomStateDict.generate(CONFIG.expectedTensors(), 3, DType.BF16), Map.of());
        archive = TensorArchive.open(file);
        model = new CausalWanModel(archive, CONFIG);
        SplittableRandom random = new SplittableRandom(5);
        context = model.embedText(cpu, RandomTensors.gaussian(random, 1f, TEXT_LEN, CONFIG.textDim()));
        int tokensPerFrame = model.tokensPerFrame(LATENT_H, LATENT_W);
        cache = new KvCache(new KvCacheGeometry(tokensPerFrame, WINDOW_FRAMES, SINK_FRAMES, WINDOW_FRAMES),
                CONFIG.numLayers(), CONFIG.numHeads(), CONFIG.headDim());
        Tensor conditioning = RandomTensors.gaussian(random, 1f, CONFIG.inDim(), CONDITIONING_FRAMES, LATENT_H, LATENT_W);
        model.forward(cpu, conditioning, new long[CONDITIONING_FRAMES], 0, context, cache, ActivationProbe.NONE);
        latents = RandomTensors.gaussian(random, 1f, CONFIG.inDim(), FRAMES, LATENT_H, LATENT_W);
        timesteps = new long[FRAMES];
        Arrays.fill(timesteps, TIMESTEP);
        for (int start = CONDITIONING_FRAMES; start <= MEASURED_START_FRAME; start += FRAMES) {
            model.forward(cpu, latents, timesteps, start, context, cache, ActivationProbe.NONE);
        }
    }

    @TearDown
    public void tearDown() {
        archive.close();
        dir.close();
    }

    @Benchmark
    public Tensor forward() {
        return model.forward(cpu, latents, timesteps, MEASURED_START_FRAME, context, cache, ActivationProbe.NONE);
    }

    /** Matrix-product FLOPs of one measured call (2 per multiply-add); see the class comment. */
    static double flops() {
        DitConfig c = CONFIG;
        double d = c.dim();
        double tokens = FRAMES * (LATENT_H / c.patch().h()) * (LATENT_W / c.patch().w());
        double keys = WINDOW_FRAMES * tokens / FRAMES;
        double perLayer = tokens * (4 * d * d          // self-attention q, k, v, o
                + 2 * d * d                             // cross-attention q, o (text K/V are cached)
                + 2 * d * c.ffnDim()                    // feed-forward
                + 2 * keys * d                          // self-attention QKᵀ and PV
                + 2 * TEXT_LEN * d);                    // cross-attention QKᵀ and PV
        double patch = tokens * d * c.inDim() * c.patch().volume();
        double head = tokens * d * c.outDim() * c.patch().volume();
        double time = FRAMES * (c.freqDim() * d + d * d + 6 * d * d);
        return 2 * (c.numLayers() * perLayer + patch + head + time);
    }
}
