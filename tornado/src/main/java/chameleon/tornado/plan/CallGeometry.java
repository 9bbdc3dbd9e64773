package chameleon.tornado.plan;

import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The ints a VAE graph uploads with every call: each op's live sizes (frames, rows, positions, cache frames held),
 * so one compiled graph serves calls of different shapes. Ops reserve their slots while the graph is built, write
 * them on the host in {@link GraphOp#prepare}, and their kernels read them at run time.
 */
final class CallGeometry {
    private int count;
    private int[] host;
    private IntArray device;

    /** Reserves n consecutive ints; returns the first one's index. Only while the graph is built. */
    int reserve(int n) {
        if (host != null) {
            throw new IllegalStateException("geometry ints reserved after the first call was simulated");
        }
        int at = count;
        count += n;
        return at;
    }

    /** The host copy, written by the ops' {@code prepare}. */
    int[] host() {
        if (host == null) {
            host = new int[count];
        }
        return host;
    }

    /** The device array (made on first use), which {@link #upload} fills before each call. */
    IntArray device() {
        if (device == null) {
            device = new IntArray(Math.max(1, count));
        }
        return device;
    }

    /** Copies the host ints into the device array's host side (the chain's first graph transfers it). */
    void upload() {
        int[] g = host();
        IntArray d = device();
        for (int i = 0; i < g.length; i++) {
            d.set(i, g[i]);
        }
    }
}
