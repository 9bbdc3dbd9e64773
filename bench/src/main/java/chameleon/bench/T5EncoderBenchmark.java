package chameleon.bench;

import chameleon.runtime.RandomStateDict;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.text.T5Config;
import chameleon.text.TokenizedPrompt;
import chameleon.text.UmT5Encoder;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One prompt through a small umT5 encoder on the CPU backend: {@code UmT5Encoder.encode} of a prompt
 * of {@code tokens} real tokens padded to text_len 512 (only the real tokens are computed). Tokens/s is
 * {@code tokens / time}.
 *
 * <p>Model: dim 512 (8 heads × 64), ffn 1280, 4 blocks, 32 buckets, vocabulary 4096; BF16 weights
 * memory-mapped from a safetensors file written in the setup with deterministic random values.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class T5EncoderBenchmark {
    static final T5Config CONFIG = new T5Config(4096, 512, 512, 8, 1280, 4, 32, 128, 1e-6f);
    static final int TEXT_LEN = 512;

    @Param({"64", "512"})
    public int tokens;

    private TempDirectory dir;
    private TensorArchive archive;
    private UmT5Encoder encoder;
    private TokenizedPrompt prompt;

    @Setup
    public void setUp() throws IOException {
        dir = new TempDirectory("chameleon-bench-t5-");
        Path file = dir.path().resolve("t5.safetensors");
        SafetensorsWriter.write(file, RandomStateDict.generate(CONFIG.expectedTensors(), 11, DType.BF16), Map.of());
        archive = TensorArchive.open(file);
        encoder = new UmT5Encoder(archive, CONFIG, new CpuBackend());
        SplittableRandom random = new SplittableRandom(13);
        int[] ids = new int[TEXT_LEN];
        int[] mask = new int[TEXT_LEN];
        for (int i = 0; i < tokens; i++) {
            ids[i] = 3 + random.nextInt(CONFIG.vocab() - 3);
        }
        ids[tokens - 1] = 1;
        Arrays.fill(mask, 0, tokens, 1);
        prompt = new TokenizedPrompt(ids, mask, tokens);
    }

    @TearDown
    public void tearDown() {
        archive.close();
        dir.close();
    }

    @Benchmark
    public Tensor encode() {
        return encoder.encode(prompt);
    }
}
