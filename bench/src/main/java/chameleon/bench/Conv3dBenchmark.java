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
 * {@code CpuBackend.conv3d} as the VAE's {@code CausalConv3d} calls it: a 3×3×3 kernel, 64 → 64
 * channels, over 3 frames of 64×64. The caller prepends the 2 cached (causal padding) frames, so the
 * input is [64, 5, 64, 64]; H and W are zero-padded by 1 inside the kernel; the output is
 * [64, 3, 64, 64]. Weights F32 as in the VAE checkpoint.
 * GFLOP/s = 2·Cout·Tout·Hout·Wout·Cin·27 / time ({@link #flops}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class Conv3dBenchmark {
    static final int KERNEL = 3;

    /** Cin×Cout×T×H×W of the output; the input has T + 2 frames. */
    @Param({"64x64x3x64x64"})
    public String shape;

    private final Backend cpu = new CpuBackend();
    private Tensor x;
    private Tensor w;
    private Tensor bias;

    @Setup
    public void setUp() {
        int[] d = Shapes.parse(shape, 5);
        int cIn = d[0], cOut = d[1], t = d[2], h = d[3], wd = d[4];
        SplittableRandom random = new SplittableRandom(11);
        x = RandomTensors.gaussian(random, 1f, cIn, t + KERNEL - 1, h, wd);
        float std = (float) (1 / Math.sqrt(cIn * KERNEL * KERNEL * KERNEL));
        w = RandomTensors.gaussian(random, std, cOut, cIn, KERNEL, KERNEL, KERNEL);
        bias = RandomTensors.gaussian(random, 0.1f, cOut);
    }

    @Benchmark
    public Tensor conv3d() {
        return cpu.conv3d(x, w, bias, 1, 1, 1, 1, 1, 1, 1);
    }

    /** 2·Cin·27 per output element. */
    static double flops(String shape) {
        int[] d = Shapes.parse(shape, 5);
        return 2.0 * d[0] * KERNEL * KERNEL * KERNEL * d[1] * d[2] * d[3] * d[4];
    }
}
