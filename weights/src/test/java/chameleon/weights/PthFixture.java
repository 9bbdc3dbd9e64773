package chameleon.weights;

import chameleon.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds PyTorch-style zip checkpoints in memory for tests: {@code <prefix>/data.pkl}, byteorder, storages. */
final class PthFixture {
    private final String prefix;
    private byte[] pickle = new byte[0];
    private String byteorder = "little";
    private final Map<String, byte[]> storages = new LinkedHashMap<>();
    private boolean deflateStorages;

    PthFixture(String prefix) {
        this.prefix = prefix;
    }

    PthFixture pickle(byte[] bytes) {
        this.pickle = bytes;
        return this;
    }

    PthFixture byteorder(String order) {
        this.byteorder = order;
        return this;
    }

    PthFixture storage(String key, byte[] bytes) {
        storages.put(key, bytes);
        return this;
    }

    /** Compress storage entries (torch.save never does; other writers might). */
    PthFixture deflateStorages() {
        this.deflateStorages = true;
        return this;
    }

    byte[] zip() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            put(zip, prefix + "/data.pkl", pickle, false);
            if (byteorder != null) {
                put(zip, prefix + "/byteorder", byteorder.getBytes(StandardCharsets.US_ASCII), false);
            }
            for (Map.Entry<String, byte[]> s : storages.entrySet()) {
                put(zip, prefix + "/data/" + s.getKey(), s.getValue(), deflateStorages);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] data, boolean deflate) throws IOException {
        ZipEntry e = new ZipEntry(name);
        if (!deflate) {
            CRC32 crc = new CRC32();
            crc.update(data);
            e.setMethod(ZipEntry.STORED);
            e.setSize(data.length);
            e.setCompressedSize(data.length);
            e.setCrc(crc.getValue());
        }
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] half(DType dtype, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(dtype == DType.BF16 ? DType.floatToBf16(v) : DType.floatToF16(v));
        }
        return b.array();
    }

    static byte[] i64(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }
}
