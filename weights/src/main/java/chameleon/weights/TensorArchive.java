package chameleon.weights;

import chameleon.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A read-only collection of named tensors: a safetensors file, a sharded safetensors checkpoint or a
 * PyTorch zip checkpoint. Callers cannot tell the formats apart. Tensors are read lazily: opening an
 * archive reads its index, never the tensor data of tensors nobody asks for.
 */
public interface TensorArchive extends AutoCloseable {

    /**
     * Opens a checkpoint by what {@code path} is:
     * <ul>
     *   <li>a folder: its single {@code *.safetensors.index.json}, else its single {@code *.safetensors};
     *   <li>a {@code *.index.json}: a sharded safetensors checkpoint ({@link ShardedSafetensors});
     *   <li>a {@code *.safetensors} file ({@link SafetensorsFile});
     *   <li>a {@code *.pth} / {@code *.pt} file: a PyTorch zip checkpoint ({@link PthArchive}; nested
     *       dicts flatten to dotted names).
     * </ul>
     * If every tensor name starts with {@code model.} (the authors' training checkpoints), the archive
     * presents the names without it ({@link PrefixStrippedArchive}).
     *
     * @throws WeightsException naming the path if it does not exist, is ambiguous or cannot be read
     */
    static TensorArchive open(Path path) {
        TensorArchive archive = openFormat(path);
        return PrefixStrippedArchive.stripIfAllPrefixed(archive, PrefixStrippedArchive.MODEL_PREFIX);
    }

    private static TensorArchive openFormat(Path path) {
        if (Files.isDirectory(path)) {
            return openFormat(checkpointIn(path));
        }
        if (!Files.exists(path)) {
            throw new WeightsException(path + ": checkpoint does not exist");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".index.json")) {
            return ShardedSafetensors.open(path);
        }
        if (name.endsWith(".safetensors")) {
            return SafetensorsFile.open(path);
        }
        if (name.endsWith(".pth") || name.endsWith(".pt")) {
            return PthArchive.open(path);
        }
        throw new WeightsException(path + ": unknown checkpoint format, expected a folder, *.safetensors,"
                + " *.safetensors.index.json, *.pth or *.pt");
    }

    /** The one checkpoint file of a folder: its index if it has one, else its single safetensors file. */
    private static Path checkpointIn(Path folder) {
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new WeightsException(folder + ": cannot list folder: " + e, e);
        }
        List<Path> indexes = files.stream()
                .filter(f -> f.getFileName().toString().endsWith(".safetensors.index.json")).toList();
        if (indexes.size() == 1) {
            return indexes.getFirst();
        }
        if (indexes.size() > 1) {
            throw new WeightsException(folder + ": folder holds " + indexes.size()
                    + " *.safetensors.index.json files, expected one: " + fileNames(indexes));
        }
        List<Path> single = files.stream()
                .filter(f -> f.getFileName().toString().endsWith(".safetensors")).toList();
        if (single.size() == 1) {
            return single.getFirst();
        }
        throw new WeightsException(folder + ": folder holds " + single.size() + " *.safetensors files and no"
                + " *.safetensors.index.json, expected one index or exactly one .safetensors file"
                + (single.isEmpty() ? "" : ": " + fileNames(single)));
    }

    private static String fileNames(List<Path> files) {
        return String.join(", ", files.stream().map(f -> f.getFileName().toString()).toList());
    }

    /** The file or folder this archive was opened from (for messages). */
    Path source();

    /** Tensor names in file order. */
    List<String> names();

    boolean contains(String name);

    /** Declared dtype and shape; {@link WeightsException} naming the file if absent. */
    TensorInfo info(String name);

    /**
     * The tensor, in its stored dtype. Memory-mapped formats return a view of the mapping (no copy);
     * valid until {@link #close()}. {@link WeightsException} naming the file and tensor if absent.
     */
    Tensor tensor(String name);

    /**
     * Reads every floating-point tensor and refuses the archive if any holds NaN or ±Inf. Not done by
     * {@link #open}, which reads headers only; callers that want the guarantee ask for it (it reads the
     * whole checkpoint once).
     *
     * @throws WeightsException naming this archive and the bad tensors (up to ten, with their count of
     *                          non-finite values and the first one's index)
     */
    default void checkFinite() {
        FiniteWeights.check(this);
    }

    @Override
    void close();
}
