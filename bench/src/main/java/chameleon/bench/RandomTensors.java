package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Seeded random tensors for benchmark inputs and synthetic checkpoints. Speed does not depend on the
 * values, but they are kept finite and of sensible magnitude so that no kernel runs into NaN, infinity
 * or subnormal arithmetic, which can be much slower on x86.
 */
final class RandomTensors {
    private RandomTensors() {
    }

    /** A heap F32 tensor of N(0, std²) values. */
    static Tensor gaussian(SplittableRandom random, float std, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = std * (float) random.nextGaussian();
        }
        return t;
    }

    /** A heap F32 tensor of {@code mean + N(0, std²)} values (norm weights, gammas). */
    static Tensor around(SplittableRandom random, float mean, float std, int... dims) {
        Tensor t = gaussian(random, std, dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] += mean;
        }
        return t;
    }

    /** {@code t} rounded to {@code dtype} (F32 returns t itself). */
    static Tensor as(DType dtype, Tensor t) {
        return dtype == DType.F32 ? t : t.convertTo(dtype);
    }

    /**
     * A heap BF16 tensor of random bit patterns with the top exponent bit cleared, so every value is
     * finite with magnitude below 2. Cheap enough to fill hundreds of megabytes of loader test data.
     */
    static Tensor randomBf16(SplittableRandom random, Shape shape) {
        long n = shape.numel();
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.toIntExact(n * 2)]);
        long i = 0;
        for (; i + 4 <= n; i += 4) {
            bytes.set(ValueLayout.JAVA_LONG_UNALIGNED, i * 2, random.nextLong() & 0xBFFF_BFFF_BFFF_BFFFL);
        }
        for (; i < n; i++) {
            bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, (short) (random.nextInt() & 0xBFFF));
        }
        return Tensor.wrap(DType.BF16, shape, bytes);
    }
}
