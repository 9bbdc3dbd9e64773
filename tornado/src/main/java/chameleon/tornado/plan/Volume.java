package chameleon.tornado.plan;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A channels-last F32 device buffer of a VAE graph ({@link VaeGraph}), [T, H, W, C] with a position's channels
 * contiguous (a channel norm is a row norm; a convolution's GEMM output is already in this layout). Its capacity is
 * the most any op sized it for; its live shape is the one the op that last wrote it set, during the simulation of a
 * call ({@link GraphOp#prepare}). A pooled volume ({@link VolumePool}) holds different tensors along the network, so
 * an op reads a volume's shape in {@code prepare}, never when it adds its tasks.
 */
final class Volume {
    final String name;
    private long capacity = 1;
    FloatArray array;
    int t, h, w, c;

    Volume(String name) {
        this.name = name;
    }

    /** Grows the capacity to at least n floats. */
    void need(long n) {
        capacity = Math.max(capacity, n);
    }

    /** Sets the live shape [t, h, w, c] (and grows the capacity to hold it). */
    void shape(int t, int h, int w, int c) {
        this.t = t;
        this.h = h;
        this.w = w;
        this.c = c;
        need((long) t * h * w * c);
    }

    /** Live positions T·H·W (rows of c channels). */
    int rows() {
        return t * h * w;
    }

    /** Makes the device array at its capacity, zeroed. */
    void allocate() {
        if (capacity > Integer.MAX_VALUE) {
            throw new IllegalStateException("VAE graph volume " + name + " needs " + capacity
                    + " floats, more than a TornadoVM array can index");
        }
        array = new FloatArray((int) capacity);
        array.init(0f);
    }
}
