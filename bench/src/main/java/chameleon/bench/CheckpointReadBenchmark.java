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
 * Opening the ~230 MB checkpoint ({@link LoaderCheckpoint#LARGE}, BF16, 5B layout) and reading its
 * tensors through the archive's memory-mapped views, then closing it; MB/s = tensor data bytes /
 * time. Each call maps the files afresh, so every page faults in again, but the files are in the page
 * cache (they were just written): this is the warm-cache cost of the mapping, not disk speed.
 * <ul>
 *   <li>{@code touchPages}: one byte of every 4 KB page of every tensor (what first use of the weights
 *       costs beyond the arithmetic);
 *   <li>{@code readAll}: every byte of every tensor.
 * </ul>
 * {@code format}: {@code sharded} (two safetensors shards + index) or {@code pth} (PyTorch zip).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {ForkOptions.VECTOR_API, ForkOptions.NATIVE_ACCESS, ForkOptions.HEAP})
public class CheckpointReadBenchmark {

    @Param({"sharded", "pth"})
    public String format;

    private TempDirectory dir;
    private Path path;

    @Setup
    public void setUp() throws IOException {
        dir = new TempDirectory("chameleon-bench-read-");
        path = CheckpointOpenBenchmark.write(dir.path(), format + "-large");
    }

    @TearDown
    public void tearDown() {
        dir.close();
    }

    @Benchmark
    public long touchPages() {
        try (TensorArchive archive = TensorArchive.open(path)) {
            return MappedReads.touchPages(archive);
        }
    }

    @Benchmark
    public long readAll() {
        try (TensorArchive archive = TensorArchive.open(path)) {
            return MappedReads.readAll(archive);
        }
    }

    /** Tensor data bytes read per call (one checkpoint). */
    static long dataBytes() {
        return LoaderCheckpoint.LARGE.dataBytes();
    }
}
