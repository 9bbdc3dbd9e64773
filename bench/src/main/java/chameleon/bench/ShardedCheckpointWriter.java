package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsWriter;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a checkpoint as Hugging Face does for big models: two safetensors shards of about equal data
 * size ({@code model-00001-of-00002.safetensors}, …) and {@code model.safetensors.index.json} mapping
 * every tensor to its shard. Shards hold seeded random BF16 data, or are sparse (see
 * {@link SparseSafetensorsFile}) for sizes that should not hit the disk.
 */
final class ShardedCheckpointWriter {
    static final String INDEX = "model.safetensors.index.json";
    private static final int SHARDS = 2;
    private static final JsonFactory JSON = new JsonFactory();

    private ShardedCheckpointWriter() {
    }

    /** Writes the shards and the index into {@code dir}; returns the index. */
    static Path write(Path dir, Map<String, Shape> tensors, DType dtype, boolean sparse, long seed) throws IOException {
        if (!sparse && dtype != DType.BF16) {
            throw new IllegalArgumentException("random shard data is generated as BF16, not " + dtype);
        }
        List<Map<String, Shape>> shards = split(tensors, dtype);
        Map<String, String> weightMap = new LinkedHashMap<>();
        SplittableRandom random = new SplittableRandom(seed);
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path file = dir.resolve(name);
            if (sparse) {
                SparseSafetensorsFile.write(file, shards.get(i), dtype);
            } else {
                Map<String, Tensor> data = new LinkedHashMap<>();
                shards.get(i).forEach((n, s) -> data.put(n, RandomTensors.randomBf16(random, s)));
                SafetensorsWriter.write(file, data, Map.of());
            }
            for (Map.Entry<String, Shape> e : shards.get(i).entrySet()) {
                weightMap.put(e.getKey(), name);
                total += e.getValue().numel() * dtype.byteSize();
            }
        }
        Path index = dir.resolve(INDEX);
        try (OutputStream out = Files.newOutputStream(index); JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("metadata");
            g.writeNumberField("total_size", total);
            g.writeEndObject();
            g.writeObjectFieldStart("weight_map");
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        return index;
    }

    /** Consecutive runs of tensors, a new shard starting once the previous holds its share of the bytes. */
    private static List<Map<String, Shape>> split(Map<String, Shape> tensors, DType dtype) {
        long total = 0;
        for (Shape s : tensors.values()) {
            total += s.numel() * dtype.byteSize();
        }
        long share = (total + SHARDS - 1) / SHARDS;
        List<Map<String, Shape>> shards = new ArrayList<>();
        Map<String, Shape> current = new LinkedHashMap<>();
        long filled = 0;
        for (Map.Entry<String, Shape> e : tensors.entrySet()) {
            if (filled >= share && shards.size() < SHARDS - 1) {
                shards.add(current);
                current = new LinkedHashMap<>();
                filled = 0;
            }
            current.put(e.getKey(), e.getValue());
            filled += e.getValue().numel() * dtype.byteSize();
        }
        shards.add(current);
        return shards;
    }
}
