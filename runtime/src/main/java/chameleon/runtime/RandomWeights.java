package chameleon.runtime;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.InMemoryArchive;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Deterministic random weights built straight into heap tensors, with nothing read from or written to
 * disk: fast enough for the real Wan2.2-TI2V-5B (5 B BF16 values, ~10 GB, a few seconds on all cores).
 * {@code generate --random-weights} and the GPU benchmark ({@code GpuBench}) both build their models
 * here, so they run the same weights. ({@link RandomStateDict} is the slower Gaussian generator whose
 * bytes define the cached demo checkpoint files.)
 *
 * <p>Rules, by the tensor's role as its name gives it:
 * <ul>
 * <li>norm scales ({@code norm_q.}, {@code norm_k.}, {@code norm3.weight}, the VAE's {@code .gamma}): 1,
 *     so norms start as the identity;</li>
 * <li>biases: 0, except {@code head.head.bias} (random like a weight, so the DiT's output is not
 *     centred on 0 by construction);</li>
 * <li>everything else: uniform on [−a, a] with a = std·√3, which has standard deviation {@code std}
 *     (as cheap to draw as it gets, and the variance is all that keeps activations in range);
 *     {@code std} comes from the {@link Scale}.</li>
 * </ul>
 * Tensors are filled in parallel chunks of 2²⁰ values (common fork-join pool), each chunk from its own
 * {@link SplittableRandom} seeded from the seed, the tensor name ({@link String#hashCode} is specified)
 * and the chunk index: the bytes depend on nothing else, not on the core count. Every tensor is its own
 * {@link Tensor} object, returned for its name every time (the TornadoVM backend caches weights by
 * identity).
 */
public final class RandomWeights {
    private static final int CHUNK = 1 << 20;

    private RandomWeights() {
    }

    /** How large a tensor's random values are: their standard deviation. */
    public interface Scale {
        double std(String name, Shape shape);

        /** The same {@code std} for every tensor (GpuBench's DiT: 0.02, which stays finite through 30 blocks). */
        static Scale fixed(double std) {
            return (name, shape) -> std;
        }

        /**
         * 1/√fan_in, fan_in = in·∏k of a weight [out, in, k…], so a layer's output keeps its input's
         * variance (the VAE's convolutions have fan-ins from 12·27 to 1024·27); tensors of rank 1 (a bias
         * drawn at random) and modulation tables: 0.02.
         */
        static Scale fanIn() {
            return (name, shape) -> shape.rank() < 2 || name.endsWith("modulation") ? 0.02
                    : 1.0 / Math.sqrt((double) shape.numel() / shape.dim(0));
        }
    }

    /**
     * One tensor per entry of {@code shapes}, in its order, as {@code dtype} (F32 or BF16).
     *
     * @param source a name for messages, such as {@code <random weights: wan2.2-ti2v-5b DiT>}
     */
    public static InMemoryArchive create(String source, Map<String, Shape> shapes, long seed, DType dtype,
                                         Scale scale) {
        InMemoryArchive archive = new InMemoryArchive(source);
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            String name = e.getKey();
            Shape shape = e.getValue();
            archive.put(name, tensor(name, shape, seed, dtype, fill(name), scale.std(name, shape)));
        }
        return archive;
    }

    /**
     * One tensor of uniform values with standard deviation {@code std} (no role rules), e.g. a random
     * prompt embedding.
     */
    public static Tensor uniform(String name, Shape shape, long seed, DType dtype, double std) {
        return tensor(name, shape, seed, dtype, Fill.UNIFORM, std);
    }

    private enum Fill { ONES, ZEROS, UNIFORM }

    private static Fill fill(String name) {
        if (name.contains("norm_q.") || name.contains("norm_k.") || name.endsWith("norm3.weight")
                || name.endsWith(".gamma")) {
            return Fill.ONES;
        }
        if (name.endsWith(".bias") && !name.equals("head.head.bias")) {
            return Fill.ZEROS;
        }
        return Fill.UNIFORM;
    }

    private static Tensor tensor(String name, Shape shape, long seed, DType dtype, Fill fill, double std) {
        long n = shape.numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("tensor " + name + " " + shape + " is too large for one heap array");
        }
        if (dtype != DType.F32 && dtype != DType.BF16) {
            throw new IllegalArgumentException("random weights are F32 or BF16, not " + dtype);
        }
        boolean bf16 = dtype == DType.BF16;
        short[] halves = bf16 ? new short[(int) n] : null;
        float[] floats = bf16 ? null : new float[(int) n];
        if (fill == Fill.ONES) {
            if (bf16) {
                Arrays.fill(halves, bf16(1f));
            } else {
                Arrays.fill(floats, 1f);
            }
        } else if (fill == Fill.UNIFORM) {
            float a = (float) (std * Math.sqrt(3.0)); // uniform [-a, a] has standard deviation std
            long nameSeed = seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
            int chunks = (int) ((n + CHUNK - 1) / CHUNK);
            IntStream.range(0, chunks).parallel().forEach(c -> {
                SplittableRandom r = new SplittableRandom(nameSeed + 0x632BE59BD9B4E019L * c);
                int from = c * CHUNK, to = (int) Math.min(n, (long) from + CHUNK);
                for (int i = from; i < to; i++) {
                    float v = (float) ((r.nextDouble() * 2 - 1) * a);
                    if (bf16) {
                        halves[i] = bf16(v);
                    } else {
                        floats[i] = v;
                    }
                }
            });
        }
        return Tensor.wrap(dtype, shape, bf16 ? MemorySegment.ofArray(halves) : MemorySegment.ofArray(floats));
    }

    /** The top 16 bits of the float (truncation, as the generator always did: the values are random anyway). */
    private static short bf16(float f) {
        return (short) (Float.floatToRawIntBits(f) >>> 16);
    }
}
