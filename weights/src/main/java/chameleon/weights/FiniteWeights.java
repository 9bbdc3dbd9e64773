package chameleon.weights;

import chameleon.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The optional NaN/Inf check of a checkpoint's weights ({@link TensorArchive#checkFinite()}). Opening an
 * archive reads headers only; this reads every floating-point tensor once, as the engine will read it
 * (widened or narrowed to float), so a corrupt or badly converted checkpoint fails at load with the names
 * of its bad tensors instead of producing NaN frames many minutes later.
 */
final class FiniteWeights {
    /** Tensors listed by name in the error; the rest are counted. */
    static final int LISTED = 10;
    /** Values read per block: bounded heap whatever the tensor's size. */
    private static final int BLOCK = 1 << 16;

    private FiniteWeights() {
    }

    /** One tensor's non-finite values: how many, and the first one with its flat index. */
    record Finding(String name, long count, long numel, long firstIndex, float firstValue) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s (%d of %d values, the first %s at flat index %d)", name, count,
                    numel, firstValue, firstIndex);
        }
    }

    /** @throws WeightsException naming the archive and up to {@link #LISTED} bad tensors */
    static void check(TensorArchive archive) {
        List<Finding> bad = new ArrayList<>();
        float[] block = new float[BLOCK];
        for (String name : archive.names()) {
            if (!archive.info(name).dtype().isFloatingPoint()) {
                continue; // integer and bool tensors (indices, counters) cannot hold NaN
            }
            Finding f = scan(name, archive.tensor(name), block);
            if (f != null) {
                bad.add(f);
            }
        }
        if (bad.isEmpty()) {
            return;
        }
        List<String> listed = bad.stream().limit(LISTED).map(Finding::toString).toList();
        String subject = bad.size() + (bad.size() == 1 ? " tensor holds" : " tensors hold");
        throw new WeightsException(archive.source() + ": " + subject + " NaN or infinite values: "
                + String.join(", ", listed)
                + (bad.size() > LISTED ? ", and " + (bad.size() - LISTED) + " more" : "")
                + "; expected finite weights (a corrupt download or a broken conversion)");
    }

    private static Finding scan(String name, Tensor t, float[] block) {
        long n = t.numel(), count = 0, first = -1;
        float firstValue = 0;
        for (long from = 0; from < n; from += block.length) {
            int len = (int) Math.min(block.length, n - from);
            t.readFloats(from, block, 0, len);
            for (int i = 0; i < len; i++) {
                if (!Float.isFinite(block[i])) {
                    if (count++ == 0) {
                        first = from + i;
                        firstValue = block[i];
                    }
                }
            }
        }
        return count == 0 ? null : new Finding(name, count, n, first, firstValue);
    }
}
