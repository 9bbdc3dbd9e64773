package chameleon.bench;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
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

/**
 * {@code CpuBackend.attention}: the flash-style (online softmax) kernel, q [Lq, H, 128] attending to
 * all Lkv rows of k, v [Lkv, H, 128] (heap F32, as the KV cache holds them), scale 1/√128. Shapes
 * are {@code Lq×Lkv×H}:
 * <ul>
 *   <li>{@code 256x1024x2}: a small case;
 *   <li>{@code 880x4400x4}: one latent frame of queries at 1280×704 over a 5-frame window (the sink
 *       of reference, garment and first chunk), for 4 of the 5B model's 24 heads.
 * </ul>
 * GFLOP/s = 4·Lq·Lkv·H·128 / time (QKᵀ and PV, the count of MODEL.md §5; softmax not counted).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class AttentionBenchmark {
    static final int HEAD_DIM = 128;

    @Param({"256x1024x2", "880x4400x4"})
    public String shape;

    private final Backend cpu = new CpuBackend();
    private Tensor q;
    private Tensor k;
    private Tensor v;
    private float scale;

    @Setup
    public void setUp() {
        int[] dims = Shapes.parse(shape, 3);
        int lq = dims[0], lkv = dims[1], heads = dims[2];
        SplittableRandom random = new SplittableRandom(7);
        // After RMSNorm q and k have unit-scale entries.
        q = RandomTensors.gaussian(random, 1f, lq, heads, HEAD_DIM);
        k = RandomTensors.gaussian(random, 1f, lkv, heads, HEAD_DIM);
        v = RandomTensors.gaussian(random, 1f, lkv, heads, HEAD_DIM);
        scale = (float) (1 / Math.sqrt(HEAD_DIM));
    }

    @Benchmark
    public Tensor attention() {
        return cpu.attention(q, k, v, 0, k.dim(0), scale);
    }

    /** 4·Lq·Lkv·H·D: two multiply-adds per (query, key, channel), for QKᵀ and for PV. */
    static double flops(String shape) {
        int[] dims = Shapes.parse(shape, 3);
        return 4.0 * dims[0] * dims[1] * dims[2] * HEAD_DIM;
    }
}
