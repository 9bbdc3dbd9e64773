package chameleon.bench;

import chameleon.tensor.Backend;
import chameleon.tensor.DType;
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
 * {@code CpuBackend.linear}: {@code y[M, N] = x[M, K]·w[N, K]ᵀ + b[N]}, x and y heap F32, w in the
 * checkpoint dtype (F32, or BF16 widened panel by panel inside the kernel, as the mapped 5B checkpoint
 * is). Shapes are {@code M×N×K}:
 * <ul>
 *   <li>{@code 2640x3072x3072}: one of the DiT's q/k/v/o projections on a 3-frame chunk at 1280×704
 *       (3 × 880 tokens, dim 3072), 49.8 GFLOP;
 *   <li>{@code 256x256x256}: a small GEMM, where splitting and panel widening overheads show.
 * </ul>
 * Time per call includes allocating y. GFLOP/s = 2·M·N·K / time ({@link #flops}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class GemmBenchmark {

    @Param({"2640x3072x3072", "256x256x256"})
    public String shape;

    @Param({"F32", "BF16"})
    public DType weights;

    private final Backend cpu = new CpuBackend();
    private Tensor x;
    private Tensor w;
    private Tensor bias;

    @Setup
    public void setUp() {
        int[] mnk = Shapes.parse(shape, 3);
        SplittableRandom random = new SplittableRandom(42);
        x = RandomTensors.gaussian(random, 1f, mnk[0], mnk[2]);
        // Std 1/√K as in a trained layer, so outputs stay O(1).
        w = RandomTensors.as(weights, RandomTensors.gaussian(random, (float) (1 / Math.sqrt(mnk[2])), mnk[1], mnk[2]));
        bias = RandomTensors.gaussian(random, 0.1f, mnk[1]);
    }

    @Benchmark
    public Tensor linear() {
        return cpu.linear(x, w, bias);
    }

    /** Floating-point operations of one call: 2·M·N·K (the bias add is not counted). */
    static double flops(String shape) {
        int[] mnk = Shapes.parse(shape, 3);
        return 2.0 * mnk[0] * mnk[1] * mnk[2];
    }
}
