package chameleon.bench;

import chameleon.weights.TensorArchive;
import java.io.IOException;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code TensorArchive.open} followed by {@code close}, reading no tensor: what it costs to open a
 * checkpoint. "Loading must not read tensors it does not use", so this must be O(header), not O(data).
 * The checkpoints ({@link LoaderCheckpoint}) share the 5B layout (about 800 tensors) and differ only in
 * data size:
 * <ul>
 *   <li>{@code sharded-small} / {@code sharded-large}: two safetensors shards + index, 15 MB / 230 MB;
 *   <li>{@code sharded-5b-sparse}: the real 5B shapes, 10 GB of data as a file-system hole;
 *   <li>{@code pth-small} / {@code pth-large}: one PyTorch zip checkpoint of the same tensors.
 * </ul>
 * The summary compares the times: equal times at 15 MB and 10 GB mean the data is not read.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class CheckpointOpenBenchmark {

    @Param({"sharded-small", "sharded-large", "sharded-5b-sparse", "pth-small", "pth-large"})
    public String checkpoint;

    private TempDirectory dir;
    private Path path;

    @Setup
    public void setUp() throws IOException {
        dir = new TempDirectory("chameleon-bench-open-");
        path = write(dir.path(), checkpoint);
    }

    @TearDown
    public void tearDown() {
        dir.close();
    }

    @Benchmark
    public int openAndClose() {
        try (TensorArchive archive = TensorArchive.open(path)) {
            return archive.names().size();
        }
    }

    /** Writes the named checkpoint into {@code dir}; returns the path to open. */
    static Path write(Path dir, String checkpoint) throws IOException {
        return switch (checkpoint) {
            case "sharded-small" -> sharded(dir, LoaderCheckpoint.SMALL, false);
            case "sharded-large" -> sharded(dir, LoaderCheckpoint.LARGE, false);
            case "sharded-5b-sparse" -> sharded(dir, LoaderCheckpoint.FULL_5B, true);
            case "pth-small" -> pth(dir, LoaderCheckpoint.SMALL);
            case "pth-large" -> pth(dir, LoaderCheckpoint.LARGE);
            default -> throw new IllegalArgumentException("unknown checkpoint " + checkpoint);
        };
    }

    private static Path sharded(Path dir, LoaderCheckpoint c, boolean sparse) throws IOException {
        return ShardedCheckpointWriter.write(dir, c.tensors(), LoaderCheckpoint.DTYPE, sparse, 1);
    }

    private static Path pth(Path dir, LoaderCheckpoint c) throws IOException {
        Path file = dir.resolve("model.pth");
        TorchZipWriter.write(file, c.tensors(), 1);
        return file;
    }

    /** Tensor data bytes of the named checkpoint. */
    static long dataBytes(String checkpoint) {
        return switch (checkpoint) {
            case "sharded-small", "pth-small" -> LoaderCheckpoint.SMALL.dataBytes();
            case "sharded-large", "pth-large" -> LoaderCheckpoint.LARGE.dataBytes();
            case "sharded-5b-sparse" -> LoaderCheckpoint.FULL_5B.dataBytes();
            default -> throw new IllegalArgumentException("unknown checkpoint " + checkpoint);
        };
    }
}
