package chameleon.tornado;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.InMemoryArchive;
import chameleon.weights.TensorArchive;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * An in-memory checkpoint of deterministic random BF16 weights with exactly the tensors of
 * {@link DitConfig#expectedTensors()}: nothing is read from or written to disk (the real
 * Wan2.2-TI2V-5B shape is ~10 GB). Norm weights ({@code norm_q}, {@code norm_k}, {@code norm3.weight})
 * are 1, biases 0 (except {@code head.head.bias}), every other tensor uniform with standard deviation
 * {@code std} (0.02 in GpuBench: the variance of N(0, 0.02²), much cheaper to draw), so activations
 * stay finite through 30 blocks. Tensors are filled in parallel
 * chunks (common fork-join pool, all cores), each chunk from its own seed derived from
 * {@code seed}, the tensor name and the chunk index: the content does not depend on the core count.
 * Each name always returns the same {@link Tensor} object (the TornadoVM backend caches weights by
 * identity).
 */
public final class RandomDitArchive {
    private static final int CHUNK = 1 << 20;
    private RandomDitArchive() {
    }

    /** The archive of {@code config}'s tensors with the values described above. */
    public static InMemoryArchive create(DitConfig config, long seed, float std) {
        InMemoryArchive archive = new InMemoryArchive("<random weights>");
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            archive.put(e.getKey(), create(e.getKey(), e.getValue(), seed, std));
        }
        return archive;
    }

    /** Parameter count (elements over all tensors). */
    public static long parameters(TensorArchive archive) {
        long n = 0;
        for (String name : archive.names()) {
            n += archive.info(name).shape().numel();
        }
        return n;
    }

    private static Tensor create(String name, Shape shape, long seed, float std) {
        long n = shape.numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("tensor " + name + " too large for a heap array: " + shape);
        }
        short[] data = new short[(int) n];
        boolean norm = name.contains("norm_q.") || name.contains("norm_k.") || name.endsWith("norm3.weight");
        boolean zero = name.endsWith(".bias") && !name.equals("head.head.bias");
        if (norm) {
            java.util.Arrays.fill(data, bf16(1f));
        } else if (!zero) {
            float a = (float) (std * Math.sqrt(3.0)); // uniform [-a, a] has standard deviation std
            long nameSeed = seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
            int chunks = (int) ((n + CHUNK - 1) / CHUNK);
            IntStream.range(0, chunks).parallel().forEach(c -> {
                SplittableRandom r = new SplittableRandom(nameSeed + 0x632BE59BD9B4E019L * c);
                int from = c * CHUNK, to = (int) Math.min(n, (long) from + CHUNK);
                for (int i = from; i < to; i++) {
                    data[i] = bf16((float) ((r.nextDouble() * 2 - 1) * a));
                }
            });
        }
        return Tensor.wrap(DType.BF16, shape, MemorySegment.ofArray(data));
    }

    private static short bf16(float f) {
        return (short) (Float.floatToRawIntBits(f) >>> 16);
    }
}
