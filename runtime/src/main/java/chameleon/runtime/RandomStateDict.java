package chameleon.runtime;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Deterministic random weights for a list of tensor names and shapes, initialised so that a freshly
 * built Wan DiT or VAE keeps its activations finite and of order one (it has never been trained, so
 * nothing else about its output is meaningful).
 *
 * <p>Rules, by the tensor's role as its name gives it:
 * <ul>
 * <li>biases: 0;</li>
 * <li>norm scales ({@code gamma}, {@code norm_q/norm_k/norm3.weight}; umT5's {@code norm1/norm2.weight} and
 *     final {@code norm.weight}): 1, so norms start as the identity;</li>
 * <li>modulation tables ({@code modulation}): N(0, 0.02²), small, so shift/scale/gate come mostly from
 *     the time embedding;</li>
 * <li>every other weight (linears [out, in], convolutions [out, in, k…]): N(0, 1/fan_in) with fan_in =
 *     in·∏k, which keeps the variance of a layer's output near that of its input.</li>
 * </ul>
 * Each tensor draws from its own {@code L64X128MixRandom} seeded from the global seed and the tensor's
 * name ({@link String#hashCode} is specified), so a tensor's values do not depend on the others.
 */
public final class RandomStateDict {
    private static final String ALGORITHM = "L64X128MixRandom";
    private static final double MODULATION_STD = 0.02;

    private RandomStateDict() {
    }

    /** One tensor per entry of {@code shapes}, in its order, stored as {@code dtype} (F32 or BF16). */
    public static Map<String, Tensor> generate(Map<String, Shape> shapes, long seed, DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        RandomGeneratorFactory<RandomGenerator> factory = RandomGeneratorFactory.of(ALGORITHM);
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            String name = e.getKey();
            Shape shape = e.getValue();
            RandomGenerator random = factory.create(seed * 0x9E3779B97F4A7C15L + name.hashCode());
            float[] values = values(name, shape, random);
            Tensor t = Tensor.of(values, shape.dims());
            out.put(name, dtype == DType.F32 ? t : t.convertTo(dtype));
        }
        return out;
    }

    private static float[] values(String name, Shape shape, RandomGenerator random) {
        float[] v = new float[Math.toIntExact(shape.numel())];
        if (name.endsWith(".bias")) {
            return v;
        }
        if (name.endsWith(".gamma") || name.endsWith("norm_q.weight") || name.endsWith("norm_k.weight")
                || name.endsWith("norm3.weight") || name.endsWith("norm1.weight") || name.endsWith("norm2.weight")
                || name.equals("norm.weight")) {
            Arrays.fill(v, 1f);
            return v;
        }
        double std = name.endsWith("modulation") ? MODULATION_STD : 1.0 / Math.sqrt(fanIn(name, shape));
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    /** Inputs feeding one output: all dims but the first ([out, in, k…] → in·∏k). */
    private static long fanIn(String name, Shape shape) {
        if (shape.rank() < 2) {
            throw new IllegalArgumentException("no initialisation rule for " + name + " " + shape
                    + ": a weight needs [out, in, …]");
        }
        return shape.numel() / shape.dim(0);
    }
}
