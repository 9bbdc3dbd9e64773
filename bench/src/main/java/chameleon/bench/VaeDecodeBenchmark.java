package chameleon.bench;

import chameleon.layers.vae.VaeConfig;
import chameleon.layers.vae.VaeDecoderStream;
import chameleon.layers.vae.WanVae;
import chameleon.runtime.RandomStateDict;
import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.SafetensorsWriter;
import chameleon.weights.TensorArchive;
import java.io.IOException;
import java.nio.file.Path;
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
 * Streaming VAE decode of one latent frame [48, 1, 8, 8] on the CPU backend, with a scaled-down
 * Wan2.2 VAE: the real layer structure (z 48, 4 decoder stages, causal 3×3×3 convs, middle attention,
 * pixel unshuffle) but base width decDim 32 instead of 256, so channels are 1/8 and conv FLOPs per pixel
 * 1/64 of the real decoder's. F32 weights from a safetensors file written in the setup
 * ({@link RandomStateDict}, the real Wan2.2 module tree).
 * <ul>
 *   <li>{@code firstFrame}: the first frame of a fresh stream → 1 output frame [3, 1, 128, 128];
 *   <li>{@code nextFrame}: a later frame of a stream already past two frames, so its causal caches are
 *       full (the steady state of streaming) → 4 output frames [3, 4, 128, 128].
 * </ul>
 * Reported as ms per call; frames/s in the summary counts output frames.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class VaeDecodeBenchmark {
    static final int Z = 48;
    static final int ENCODER_DIM = 16;
    static final int DECODER_DIM = 32;
    static final int LATENT_H = 8;
    static final int LATENT_W = 8;

    private final Backend cpu = new CpuBackend();
    private TempDirectory dir;
    private TensorArchive archive;
    private WanVae vae;
    private VaeDecoderStream stream;
    private Tensor latent;

    @Setup
    public void setUp() throws IOException {
        dir = new TempDirectory("chameleon-bench-vae-");
        Path file = dir.path().resolve("vae.safetensors");
        VaeConfig config = new VaeConfig(ENCODER_DIM, DECODER_DIM, Z, new int[] {1, 2, 4, 4}, 2,
                new boolean[] {false, true, true}, new boolean[] {true, true, false});
        SafetensorsWriter.write(file, RandomStateDict.generate(config.expectedTensors(), 9, DType.F32), Map.of());
        archive = TensorArchive.open(file);
        vae = new WanVae(archive, cpu);
        latent = RandomTensors.gaussian(new SplittableRandom(13), 1f, Z, 1, LATENT_H, LATENT_W);
        stream = vae.decoderStream();
        stream.decodeFrame(latent);
        stream.decodeFrame(latent);
    }

    @TearDown
    public void tearDown() {
        archive.close();
        dir.close();
    }

    @Benchmark
    public Tensor firstFrame() {
        return vae.decoderStream().decodeFrame(latent);
    }

    @Benchmark
    public Tensor nextFrame() {
        return stream.decodeFrame(latent);
    }

    /** Output video frames of one call. */
    static int outputFrames(String method) {
        return method.equals("firstFrame") ? 1 : 4;
    }
}
