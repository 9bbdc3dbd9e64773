package chameleon.weights;

import chameleon.tensor.Tensor;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint split over several safetensors files, described by a {@code *.safetensors.index.json}:
 * <pre>{"metadata": {...}, "weight_map": {"blocks.0.ffn.0.weight": "model-00001-of-00003.safetensors", ...}}</pre>
 *
 * <p>Shards are named by plain file names and resolved in the index's folder. All shards are opened
 * (mapped, headers parsed) when the index is opened: mapping costs no reads of tensor data, and opening
 * eagerly lets every inconsistency surface at once, with its name, instead of in the middle of a run.
 * The index and the shards must agree exactly: every mapped tensor is in its shard, and every tensor of
 * a shard is mapped to that shard (a tensor stored twice, or stored where the index does not say, is an
 * error, because it is ambiguous which copy the authors meant).
 */
public final class ShardedSafetensors implements TensorArchive {

    private static final JsonFactory JSON = new JsonFactory();

    private final Path index;
    private final Map<String, SafetensorsFile> shardOf; // tensor name → its open shard, in index order
    private final List<SafetensorsFile> shards;
    private final List<String> names;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> shardOf, List<SafetensorsFile> shards) {
        this.index = index;
        this.shardOf = shardOf;
        this.shards = shards;
        this.names = List.copyOf(shardOf.keySet());
    }

    /**
     * Opens the index and all its shards.
     *
     * @throws WeightsException naming the index, the shard and the tensor concerned if the index is
     *                          malformed, a shard is missing or broken, or index and shards disagree
     */
    public static ShardedSafetensors open(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> byFile = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shardName = e.getValue();
                if (!byFile.containsKey(shardName)) {
                    Path shard = index.resolveSibling(shardName);
                    if (!Files.isRegularFile(shard)) {
                        throw new WeightsException(index + ": shard '" + shardName + "' (holding tensor '"
                                + e.getKey() + "') does not exist; expected the file " + shard);
                    }
                    byFile.put(shardName, SafetensorsFile.open(shard));
                }
            }
            Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile shard = byFile.get(e.getValue());
                if (!shard.contains(e.getKey())) {
                    throw new WeightsException(index + ": tensor '" + e.getKey() + "' is mapped to shard '"
                            + e.getValue() + "', but that shard does not contain it (" + shard.source() + ")");
                }
                shardOf.put(e.getKey(), shard);
            }
            for (Map.Entry<String, SafetensorsFile> s : byFile.entrySet()) {
                for (String name : s.getValue().names()) {
                    String mapped = weightMap.get(name);
                    if (!s.getKey().equals(mapped)) {
                        throw new WeightsException(index + ": shard '" + s.getKey() + "' holds tensor '" + name
                                + "', expected it in " + (mapped == null ? "no shard (the index does not list it)"
                                : "shard '" + mapped + "'"));
                    }
                }
            }
            return new ShardedSafetensors(index, shardOf, List.copyOf(byFile.values()));
        } catch (RuntimeException | Error e) {
            byFile.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The {@code weight_map} object, in file order; other top-level keys are ignored. */
    private static Map<String, String> readWeightMap(Path index) {
        byte[] bytes;
        try {
            long size = Files.size(index);
            if (size > SafetensorsFile.MAX_HEADER_BYTES) {
                throw new WeightsException(index + ": index file has " + size + " bytes, expected at most "
                        + SafetensorsFile.MAX_HEADER_BYTES);
            }
            bytes = Files.readAllBytes(index);
        } catch (NoSuchFileException e) {
            throw new WeightsException(index + ": index file does not exist", e);
        } catch (IOException e) {
            throw new WeightsException(index + ": cannot read: " + e, e);
        }
        Map<String, String> weightMap = null;
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new WeightsException(index + ": index is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (!key.equals("weight_map")) {
                    p.skipChildren();
                    continue;
                }
                if (p.currentToken() != JsonToken.START_OBJECT) {
                    throw new WeightsException(index + ": weight_map must be an object of tensor name → shard "
                            + "file, found " + p.currentToken());
                }
                weightMap = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new WeightsException(index + ": weight_map entry of tensor '" + name
                                + "' must be a shard file name, found " + p.currentToken());
                    }
                    String shard = p.getText();
                    checkPlainFileName(index, name, shard);
                    if (weightMap.put(name, shard) != null) {
                        throw new WeightsException(index + ": tensor '" + name + "' appears twice in weight_map");
                    }
                }
            }
        } catch (JsonProcessingException e) {
            throw new WeightsException(index + ": index is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new WeightsException(index + ": cannot parse: " + e.getMessage(), e);
        }
        if (weightMap == null || weightMap.isEmpty()) {
            throw new WeightsException(index + ": index has no weight_map entries, expected tensor name → shard file");
        }
        return weightMap;
    }

    /** Shards live beside the index: a name with a folder part could point anywhere on the machine. */
    private static void checkPlainFileName(Path index, String tensor, String shard) {
        Path p;
        try {
            p = Path.of(shard);
        } catch (RuntimeException e) {
            p = null;
        }
        if (p == null || p.getNameCount() != 1 || !p.getFileName().toString().equals(shard)
                || shard.equals("..") || shard.equals(".") || shard.isEmpty()) {
            throw new WeightsException(index + ": tensor '" + tensor + "' is mapped to '" + shard
                    + "', expected a plain file name in the index's folder");
        }
    }

    /** The shard files, in the order the index first names them. */
    public List<Path> shardFiles() {
        List<Path> files = new ArrayList<>();
        shards.forEach(s -> files.add(s.source()));
        return files;
    }

    @Override
    public Path source() {
        return index;
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return shard(name).info(name);
    }

    @Override
    public Tensor tensor(String name) {
        return shard(name).tensor(name);
    }

    private SafetensorsFile shard(String name) {
        SafetensorsFile shard = shardOf.get(name);
        if (shard == null) {
            throw new WeightsException(index + ": tensor '" + name + "': no such tensor in this checkpoint ("
                    + names.size() + " tensors in " + shards.size() + " shards)");
        }
        return shard;
    }

    /** Closes every shard; tensors returned earlier must not be used afterwards. */
    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "ShardedSafetensors[" + index + ", " + names.size() + " tensors, " + shards.size() + " shards]";
    }
}
