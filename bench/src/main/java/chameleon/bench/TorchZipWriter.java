package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a PyTorch zip checkpoint the way {@code torch.save} lays it out: {@code archive/data.pkl}
 * ({@link StateDictPickle}), {@code archive/byteorder}, {@code archive/version} and one uncompressed
 * entry {@code archive/data/<key>} per tensor, filled with seeded random BF16 data. Like PyTorch's
 * writer it pads each entry's local header with an extra field so that the data starts at a multiple
 * of 64 bytes, which is what lets a reader map tensors in place.
 */
final class TorchZipWriter {
    private static final String PREFIX = "archive/";
    private static final int ALIGNMENT = 64;
    private static final int LOCAL_HEADER_BYTES = 30;
    private static final int EXTRA_HEADER_BYTES = 4; // id + length of the padding field
    private static final int PADDING_FIELD_ID = 0x4246; // "FB", as PyTorch names it

    private TorchZipWriter() {
    }

    static void write(Path file, Map<String, Shape> tensors, long seed) throws IOException {
        DType dtype = DType.BF16;
        SplittableRandom random = new SplittableRandom(seed);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            CountingStream counter = new CountingStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20));
            ZipOutputStream zip = new ZipOutputStream(counter);
            put(zip, counter, PREFIX + "data.pkl", StateDictPickle.of(tensors, dtype));
            put(zip, counter, PREFIX + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            int key = 0;
            for (Shape shape : tensors.values()) {
                Tensor t = RandomTensors.randomBf16(random, shape);
                put(zip, counter, PREFIX + "data/" + key++, (byte[]) t.segment().heapBase().orElseThrow());
            }
            put(zip, counter, PREFIX + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            zip.finish();
            counter.flush();
            // On disk before it is read, as SafetensorsWriter leaves its files: dirty pages still being
            // written back would make the two formats' read benchmarks differ for a reason of no interest.
            channel.force(true);
        }
    }

    /** One stored (uncompressed) entry whose data starts 64-byte aligned. */
    private static void put(ZipOutputStream zip, CountingStream counter, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setMethod(ZipEntry.STORED); // a stored entry needs its size and CRC before its data
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        long unpadded = counter.count + LOCAL_HEADER_BYTES + nameBytes + EXTRA_HEADER_BYTES;
        int pad = (int) ((ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT);
        byte[] extra = new byte[EXTRA_HEADER_BYTES + pad];
        extra[0] = (byte) PADDING_FIELD_ID;
        extra[1] = (byte) (PADDING_FIELD_ID >>> 8);
        extra[2] = (byte) pad;
        extra[3] = (byte) (pad >>> 8);
        e.setExtra(extra);
        zip.putNextEntry(e);
        if (counter.count % ALIGNMENT != 0) {
            // The local header was not the size computed above (the JDK added a field): say so.
            throw new IllegalStateException(name + ": data starts at " + counter.count + ", not " + ALIGNMENT + "-aligned");
        }
        zip.write(data);
        zip.closeEntry();
    }

    /** Counts the bytes the zip stream has written, to know where the next local header starts. */
    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
