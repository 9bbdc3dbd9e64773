package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes a valid safetensors file whose data area is a file-system hole: the real header, then the
 * file is extended to its full length without writing. It occupies a few kilobytes of disk whatever
 * its size, and reading its data would return zeros at disk-free speed, never fail. A loader that
 * opens it as fast as a small file reads only the header.
 */
final class SparseSafetensorsFile {
    private static final JsonFactory JSON = new JsonFactory();

    private SparseSafetensorsFile() {
    }

    static void write(Path file, Map<String, Shape> tensors, DType dtype) throws IOException {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        long offset = 0;
        try (JsonGenerator g = JSON.createGenerator(json)) {
            g.writeStartObject();
            for (Map.Entry<String, Shape> e : tensors.entrySet()) {
                long size = e.getValue().numel() * dtype.byteSize();
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("dtype", dtype.name());
                g.writeArrayFieldStart("shape");
                for (int d : e.getValue().dims()) {
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
        }
        byte[] header = json.toByteArray();
        // Pad with spaces to a multiple of 8, as the reference writer does.
        byte[] padded = Arrays.copyOf(header, (header.length + 7) & ~7);
        Arrays.fill(padded, header.length, padded.length, (byte) ' ');
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).array());
            out.write(padded);
            out.setLength(8 + padded.length + offset); // the hole
        }
    }
}
