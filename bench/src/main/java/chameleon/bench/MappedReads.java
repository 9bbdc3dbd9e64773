package chameleon.bench;

import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The two ways the loader benchmarks consume an opened checkpoint. Both return a checksum so the JIT
 * cannot drop the reads.
 */
final class MappedReads {
    /** The page size of x86-64 and most Linux systems; one read per page faults every page in. */
    static final int PAGE = 4096;

    private MappedReads() {
    }

    /** Reads one byte of every page each tensor spans (its first byte, every 4 KB on, its last byte). */
    static long touchPages(TensorArchive archive) {
        long sum = 0;
        for (String name : archive.names()) {
            MemorySegment s = archive.tensor(name).segment();
            long size = s.byteSize();
            for (long off = 0; off < size; off += PAGE) {
                sum += s.get(ValueLayout.JAVA_BYTE, off);
            }
            if (size > 0) {
                sum += s.get(ValueLayout.JAVA_BYTE, size - 1);
            }
        }
        return sum;
    }

    /** Reads every byte of every tensor, eight at a time. */
    static long readAll(TensorArchive archive) {
        long sum = 0;
        for (String name : archive.names()) {
            sum += readAll(archive.tensor(name));
        }
        return sum;
    }

    private static long readAll(Tensor t) {
        MemorySegment s = t.segment();
        long size = s.byteSize();
        long words = size / Long.BYTES;
        long sum = 0;
        for (long i = 0; i < words; i++) {
            sum += s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        for (long off = words * Long.BYTES; off < size; off++) {
            sum += s.get(ValueLayout.JAVA_BYTE, off);
        }
        return sum;
    }
}
