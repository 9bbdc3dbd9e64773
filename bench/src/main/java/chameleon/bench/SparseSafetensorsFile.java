package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.weights.SafetensorsWriter;
import chameleon.weights.TensorInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a valid safetensors file whose data area is a file-system hole: the real header, then the
 * file is extended to its full length without writing. It occupies a few kilobytes of disk whatever
 * its size, and reading its data would return zeros at disk-free speed, never fail. A loader that
 * opens it as fast as a small file reads only the header.
 */
final class SparseSafetensorsFile {
    private SparseSafetensorsFile() {
    }

    static void write(Path file, Map<String, Shape> tensors, DType dtype) throws IOException {
        List<TensorInfo> entries = new ArrayList<>(tensors.size());
        long dataBytes = 0;
        for (Map.Entry<String, Shape> e : tensors.entrySet()) {
            TensorInfo info = new TensorInfo(e.getKey(), dtype, e.getValue());
            entries.add(info);
            dataBytes += info.byteSize();
        }
        byte[] header = SafetensorsWriter.header(file, entries, Map.of());
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            out.setLength(8 + header.length + dataBytes); // the hole
        }
    }
}
