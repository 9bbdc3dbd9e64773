package chameleon.tornado.plan;

import chameleon.tornado.kernels.ConvKernels;
import chameleon.tornado.kernels.LayoutKernels;
import chameleon.tornado.kernels.VolumeKernels;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * Capacity plans of the VAE's volume kernels ({@link ConvKernels}, {@link LayoutKernels},
 * {@link VolumeKernels}). The VAE changes shapes from call to call (frames per chunk, stage sizes,
 * cache concatenations), so these plans are not shape-specialised: each is built for buffer
 * capacities ({@link #capacity} rounds a size up to a power of two) and takes the live sizes in a
 * small int array on every execution. A plan therefore serves every shape that fits, and the number of
 * plans grows with the log of the size range, not with the number of calls or layers. Each execution
 * uploads its inputs and downloads its output whole (at most twice the live data).
 */
public final class VolumePlans {
    /** Smallest capacity handed out (elements). */
    private static final int MIN_CAPACITY = 1024;

    private VolumePlans() {
    }

    /** The power of two ≥ max(n, 1024): the capacity bucket of a buffer that must hold n elements. */
    public static int capacity(long n) {
        return powerOfTwo(n, MIN_CAPACITY);
    }

    /** The power of two ≥ max(n, min): a loop capacity (e.g. thread tiles). */
    public static int powerOfTwo(long n, int min) {
        if (n > (1 << 30)) {
            throw new IllegalArgumentException(n + " elements exceed the largest device buffer (2^30 floats)");
        }
        int c = min;
        while (c < n) {
            c <<= 1;
        }
        return c;
    }

    private static TaskGraph graph(String prefix) {
        return new TaskGraph(Plan.uniqueName(prefix));
    }

    /**
     * conv3d: x, the weight in checkpoint dtype (F32 in {@code wf}, or BF16/F16 bits in {@code wh} with the
     * matching exponent table in {@code pow2}; the other array is a 1-element dummy), bias, y; geometry
     * in {@code g} ({@link ConvKernels#GEOMETRY} ints). The weight travels with every execution.
     */
    public record Conv(FloatArray x, FloatArray wf, ShortArray wh, FloatArray pow2, FloatArray bias, FloatArray y,
                       IntArray g, Plan plan) {
        /**
         * @param bits       true: 16-bit weights (the mode in g says BF16 or F16); false: F32
         * @param pixelTiles loop capacity of position tiles (≥ ⌈positions / 4⌉); {@code chanTiles} of channel tiles
         */
        public static Conv create(boolean bits, int wCap, int xCap, int pixelTiles, int chanTiles) {
            FloatArray x = new FloatArray(xCap);
            FloatArray y = new FloatArray(Math.multiplyExact(pixelTiles * ConvKernels.TILE, chanTiles * ConvKernels.TILE));
            FloatArray bias = new FloatArray(chanTiles * ConvKernels.TILE);
            FloatArray wf = new FloatArray(bits ? 1 : wCap), pow2 = new FloatArray(256);
            ShortArray wh = new ShortArray(bits ? wCap : 1);
            IntArray g = new IntArray(ConvKernels.GEOMETRY);
            TaskGraph tg = graph("conv3d")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, bits ? wh : wf, pow2, bias, g)
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, bits ? wf : wh)
                    .task("conv3d", ConvKernels::conv3d, x, wf, wh, pow2, bias, y, g, pixelTiles, chanTiles)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            return new Conv(x, wf, wh, pow2, bias, y, g, Plan.of(tg));
        }
    }

    /** y ← x through {@link LayoutKernels#gather} (permute, slice, upsample); params in p. */
    /**
     * {@link LayoutKernels#gather}'s parameters for a strided copy: element count, source offset, then the index
     * space padded with leading size-1 axes to {@link LayoutKernels#MAX_RANK} and the matching source strides.
     *
     * @param op names the operation in the error when the copy has more axes than the kernel
     */
    public static int[] gatherParams(chameleon.tensor.StridedCopy c, String op) {
        int[] dims = c.dims(), srcStrides = c.srcStrides();
        int pad = LayoutKernels.MAX_RANK - dims.length; // leading size-1 axes
        if (pad < 0) {
            throw new IllegalArgumentException(op + ": " + dims.length + " axes exceed " + LayoutKernels.MAX_RANK);
        }
        long numel = 1;
        for (int d : c.outDims()) {
            numel *= d;
        }
        int[] params = new int[LayoutKernels.GATHER_PARAMS];
        params[0] = Math.toIntExact(numel);
        params[1] = c.srcOffset();
        for (int a = 0; a < LayoutKernels.MAX_RANK; a++) {
            params[2 + a] = a < pad ? 1 : dims[a - pad];
            params[2 + LayoutKernels.MAX_RANK + a] = a < pad ? 0 : srcStrides[a - pad];
        }
        return params;
    }

    public record Gather(FloatArray x, FloatArray y, IntArray p, Plan plan) {
        public static Gather create(int xCap, int yCap) {
            FloatArray x = new FloatArray(xCap), y = new FloatArray(yCap);
            IntArray p = new IntArray(LayoutKernels.GATHER_PARAMS);
            TaskGraph tg = graph("gather")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, p)
                    .task("gather", LayoutKernels::gather, x, y, p, yCap)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            return new Gather(x, y, p, Plan.of(tg));
        }
    }

    /** y ← parts staged back to back in x, through {@link LayoutKernels#concat}. */
    public record Concat(FloatArray x, FloatArray y, IntArray p, Plan plan) {
        public static Concat create(int cap) {
            FloatArray x = new FloatArray(cap), y = new FloatArray(cap);
            IntArray p = new IntArray(LayoutKernels.CONCAT_PARAMS);
            TaskGraph tg = graph("concat")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, p)
                    .task("concat", LayoutKernels::concat, x, y, p, cap)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            return new Concat(x, y, p, Plan.of(tg));
        }
    }

    /** {@link VolumeKernels#channelRmsNorm}: x, y (cap), gamma (cCap), √C, params [C, S]. */
    public record ChannelRmsNorm(FloatArray x, FloatArray gamma, FloatArray scale, FloatArray y, IntArray p, Plan plan) {
        public static ChannelRmsNorm create(int cap, int cCap, int positions) {
            FloatArray x = new FloatArray(cap), y = new FloatArray(cap), gamma = new FloatArray(cCap), scale = new FloatArray(1);
            IntArray p = new IntArray(2);
            TaskGraph tg = graph("channelRmsNorm")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, gamma, scale, p)
                    .task("channelRmsNorm", VolumeKernels::channelRmsNorm, x, gamma, scale, y, p, positions)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            return new ChannelRmsNorm(x, gamma, scale, y, p, Plan.of(tg));
        }
    }

    /** In-place {@link VolumeKernels#channelAffine}: x (cap), scale/shift (cCap), params [C, S]. */
    public record ChannelAffine(FloatArray x, FloatArray scale, FloatArray shift, IntArray p, Plan plan) {
        public static ChannelAffine create(int cap, int cCap) {
            FloatArray x = new FloatArray(cap), scale = new FloatArray(cCap), shift = new FloatArray(cCap);
            IntArray p = new IntArray(2);
            TaskGraph tg = graph("channelAffine")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, scale, shift, p)
                    .task("channelAffine", VolumeKernels::channelAffine, x, scale, shift, p, cap)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new ChannelAffine(x, scale, shift, p, Plan.of(tg));
        }
    }

    /** {@link VolumeKernels#mean}: x (xCap) → y (yCap), params [outer, n, inner]. */
    public record Mean(FloatArray x, FloatArray y, IntArray p, Plan plan) {
        public static Mean create(int xCap, int yCap) {
            FloatArray x = new FloatArray(xCap), y = new FloatArray(yCap);
            IntArray p = new IntArray(3);
            TaskGraph tg = graph("mean")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, p)
                    .task("mean", VolumeKernels::mean, x, y, p, yCap)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            return new Mean(x, y, p, Plan.of(tg));
        }
    }

    /** In-place {@link VolumeKernels#clampInPlace}: x (cap), bounds [lo, hi], params [count]. */
    public record Clamp(FloatArray x, FloatArray bounds, IntArray p, Plan plan) {
        public static Clamp create(int cap) {
            FloatArray x = new FloatArray(cap), bounds = new FloatArray(2);
            IntArray p = new IntArray(1);
            TaskGraph tg = graph("clamp")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, bounds, p)
                    .task("clamp", VolumeKernels::clampInPlace, x, bounds, p, cap)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new Clamp(x, bounds, p, Plan.of(tg));
        }
    }
}
