package chameleon.tornado.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * The volumes of a VAE graph reused by liveness: while the module tree is walked, an op {@link #take}s a volume
 * for its result and the walker {@link #release}s a volume once its last reader has been added, so the next
 * result reuses it. Every volume ends up as large as the largest tensor it held.
 */
final class VolumePool {
    private final List<Volume> all = new ArrayList<>();
    private final List<Volume> free = new ArrayList<>();

    /** A volume no live tensor holds (a new one when every volume is live). */
    Volume take() {
        if (!free.isEmpty()) {
            return free.removeLast();
        }
        Volume v = new Volume("pool" + all.size());
        all.add(v);
        return v;
    }

    /** The tensor v holds has no later reader; volumes not from this pool (a graph's input, output) are kept. */
    void release(Volume v) {
        if (all.contains(v) && !free.contains(v)) {
            free.add(v);
        }
    }

    /** Every volume of the pool, for allocation and the graphs' shared arrays. */
    List<Volume> volumes() {
        return all;
    }
}
