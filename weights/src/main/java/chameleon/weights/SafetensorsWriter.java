package chameleon.weights;

import chameleon.tensor.Tensor;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes tensors and string metadata as one safetensors file.
 *
 * <p>Tensors keep their dtype and are laid out in the map's iteration order. The header is padded with
 * spaces so the data area starts at a multiple of 8 bytes, as the reference writer does, which keeps
 * every tensor of an 8-byte-multiple size aligned in a mapping. The write is atomic: the bytes go to a
 * temporary file in the target's folder, are forced to disk, and the file is then renamed over the
 * target; if anything fails the temporary file is deleted and the target is left as it was.
 */
public final class SafetensorsWriter {

    private static final JsonFactory JSON = new JsonFactory();
    private static final int COPY_CHUNK = 1 << 20; // staging buffer for heap tensors
    private static final AtomicLong TEMP_COUNTER = new AtomicLong();

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} (in iteration order) and {@code metadata} to {@code file}, replacing it.
     *
     * @throws WeightsException naming the file (and tensor) if a name is not allowed or writing fails
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<TensorInfo> entries = new ArrayList<>(tensors.size());
        tensors.forEach((name, t) -> entries.add(new TensorInfo(name, t.dtype(), t.shape())));
        byte[] header = header(file, entries, metadata);
        Path target = file.toAbsolutePath();
        // Same folder as the target, so the final rename cannot cross file systems. Created with
        // CREATE_NEW (never clobbers) and default permissions (Files.createTempFile would make it 0600).
        Path temp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid()
                + "." + TEMP_COUNTER.incrementAndGet() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(out, length);
                writeFully(out, ByteBuffer.wrap(header));
                ByteBuffer staging = ByteBuffer.allocateDirect(COPY_CHUNK);
                for (Tensor t : tensors.values()) {
                    writeSegment(out, t.segment(), staging);
                }
                out.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new WeightsException(file + ": cannot write atomically: this file system cannot rename "
                        + "a file over another (" + e.getMessage() + ")", e);
            }
            syncFolder(target.getParent());
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new WeightsException(file + ": cannot write: " + e, e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(temp);
            throw e;
        }
    }

    /**
     * The JSON header for tensors laid out back to back in {@code entries} order: {@code __metadata__}
     * first, then one entry per tensor, padded with spaces to 8 bytes. The file is the 8-byte
     * little-endian header length, this header, then the data area of Σ byteSize bytes.
     *
     * @param file for messages only
     */
    public static byte[] header(Path file, List<TensorInfo> entries, Map<String, String> metadata) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsHeader.METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (TensorInfo t : entries) {
                String name = t.name();
                if (name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY)) {
                    throw SafetensorsHeader.error(file, name, "name is reserved or empty");
                }
                long size = t.byteSize();
                g.writeObjectFieldStart(name);
                g.writeStringField("dtype", t.dtype().name());
                g.writeArrayFieldStart("shape");
                for (int d : t.shape().dims()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + size);
                g.writeEndArray();
                g.writeEndObject();
                offset += size;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot build header: " + e.getMessage(), e);
        }
        byte[] json = bytes.toByteArray();
        int padded = (json.length + 7) & ~7;
        if (padded > SafetensorsFile.MAX_HEADER_BYTES) {
            throw SafetensorsHeader.error(file, null, "header of " + padded + " bytes exceeds the limit of "
                    + SafetensorsFile.MAX_HEADER_BYTES);
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Copies through a direct staging buffer: a segment over a {@code float[]} cannot be viewed as a
     * ByteBuffer, and a mapped segment may exceed a ByteBuffer's 2 GB limit.
     */
    private static void writeSegment(FileChannel out, MemorySegment segment, ByteBuffer staging) throws IOException {
        MemorySegment stagingSegment = MemorySegment.ofBuffer(staging.clear()); // the whole buffer
        long size = segment.byteSize();
        for (long pos = 0; pos < size; pos += COPY_CHUNK) {
            int n = (int) Math.min(COPY_CHUNK, size - pos);
            MemorySegment.copy(segment, pos, stagingSegment, 0, n);
            writeFully(out, staging.clear().limit(n));
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /**
     * Makes the rename itself durable. Best effort: opening a folder for reading works on Linux and
     * macOS but not everywhere, and the file's own bytes are already on disk at this point.
     */
    private static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not supported here: the rename is still atomic, only its durability is up to the OS.
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // The original failure is the one worth reporting; a leftover .tmp file is harmless.
        }
    }
}
