package chameleon.weights;

import chameleon.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped read-only.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code n}, {@code n} bytes of UTF-8 JSON
 * (see {@link SafetensorsHeader}), then the data area, whose byte ranges the header assigns to tensors.
 * The whole file is mapped into a shared {@link Arena}; {@link #tensor} returns views of the mapping in
 * the stored dtype, so nothing but the header is ever copied onto the heap, and weights can be read by
 * many threads at once. Every view becomes invalid when {@link #close()} unmaps the file.
 */
public final class SafetensorsFile implements TensorArchive {

    /** The reference implementation's limit on the header length (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data; // the data area of the mapping, after the header
    private final SafetensorsHeader header;
    private final List<String> names;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.header = header;
        this.names = List.copyOf(header.entries().keySet());
    }

    /**
     * Maps and checks a safetensors file. Only the header is parsed; tensor data is touched when read.
     *
     * @throws WeightsException naming the file (and the tensor, where there is one) if the file cannot
     *                          be read or breaks the format
     */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw SafetensorsHeader.error(path, null, "file has " + size
                        + " bytes, expected at least 8 (the header length)");
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            // u64: a value ≥ 2^63 reads as negative here, and is refused like any other oversized one.
            long headerLength = file.get(U64_LE, 0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw SafetensorsHeader.error(path, null, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > size - 8) {
                throw SafetensorsHeader.error(path, null, "header length " + headerLength
                        + " runs past the end of the file: expected at most " + (size - 8)
                        + " (file size " + size + " − 8)");
            }
            // Both bounds are checked above, so this allocation is at most 100 MB and within the file.
            byte[] json = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(path, json, size - dataStart);
            return new SafetensorsFile(path, arena, file.asSlice(dataStart), header);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new WeightsException(path + ": file does not exist", e);
        } catch (IOException e) {
            arena.close();
            throw new WeightsException(path + ": cannot read: " + e, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The {@code __metadata__} string map of the header; empty if the file has none. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public Path source() {
        return path;
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return header.entries().containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return entry(name).info();
    }

    /** A zero-copy view of the tensor's bytes in the mapping, in the stored dtype. */
    @Override
    public Tensor tensor(String name) {
        SafetensorsHeader.Entry e = entry(name);
        if (!arena.scope().isAlive()) {
            throw SafetensorsHeader.error(path, name, "file is closed");
        }
        TensorInfo info = e.info();
        return Tensor.wrap(info.dtype(), info.shape(), data.asSlice(e.begin(), e.end() - e.begin()));
    }

    private SafetensorsHeader.Entry entry(String name) {
        SafetensorsHeader.Entry e = header.entries().get(name);
        if (e == null) {
            throw SafetensorsHeader.error(path, name, "no such tensor in this file (" + names.size() + " tensors)");
        }
        return e;
    }

    /** Unmaps the file; tensors returned earlier must not be used afterwards. Idempotent. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors]";
    }
}
