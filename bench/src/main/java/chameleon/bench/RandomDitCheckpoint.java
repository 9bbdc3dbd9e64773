package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a safetensors DiT checkpoint for any {@link DitConfig}: every tensor of
 * {@link DitConfig#expectedTensors()} with seeded random values scaled like a trained model's, so the
 * activations of a forward stay O(1): linear and conv weights N(0, 1/fan_in), biases N(0, 0.02²),
 * norm weights around 1, modulation tables N(0, 0.1²).
 */
final class RandomDitCheckpoint {
    private RandomDitCheckpoint() {
    }

    static void write(Path file, DitConfig config, DType dtype, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            tensors.put(e.getKey(), RandomTensors.as(dtype, value(random, e.getKey(), e.getValue().dims())));
        }
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));
    }

    private static Tensor value(SplittableRandom random, String name, int[] dims) {
        if (name.endsWith("norm_q.weight") || name.endsWith("norm_k.weight") || name.endsWith("norm3.weight")) {
            return RandomTensors.around(random, 1f, 0.1f, dims);
        }
        if (name.endsWith("modulation")) {
            return RandomTensors.gaussian(random, 0.1f, dims);
        }
        if (name.endsWith(".bias")) {
            return RandomTensors.gaussian(random, 0.02f, dims);
        }
        long fanIn = Shape.of(dims).rowSize();
        return RandomTensors.gaussian(random, (float) (1 / Math.sqrt(fanIn)), dims);
    }
}
