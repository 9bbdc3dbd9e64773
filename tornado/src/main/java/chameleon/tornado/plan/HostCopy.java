package chameleon.tornado.plan;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/** Copies between heap/mapped tensors and TornadoVM's off-heap arrays (the host side of a transfer). */
public final class HostCopy {
    private HostCopy() {
    }

    /** The first {@code t.numel()} elements of {@code a} ← t widened to fp32. */
    public static void put(Tensor t, FloatArray a) {
        put(t, a, 0);
    }

    /** Elements [at, at + t.numel()) of {@code a} ← t widened to fp32. */
    public static void put(Tensor t, FloatArray a, long at) {
        long n = t.numel();
        if (at + n > a.getSize()) {
            throw new IllegalArgumentException(t + " does not fit a device buffer of " + a.getSize() + " floats"
                    + (at > 0 ? " from element " + at : ""));
        }
        if (t.dtype() == DType.F32) {
            MemorySegment.copy(t.segment(), 0, a.getSegment(), at * Float.BYTES, n * Float.BYTES);
        } else {
            float[] tmp = t.toFloatArray();
            MemorySegment.copy(tmp, 0, a.getSegment(), ValueLayout.JAVA_FLOAT, at * Float.BYTES, tmp.length);
        }
    }

    /** a ← a float array of the first {@code count} values of {@code src}. */
    public static void put(float[] src, FloatArray a) {
        MemorySegment.copy(src, 0, a.getSegment(), ValueLayout.JAVA_FLOAT, 0, src.length);
    }

    /** The raw 16-bit patterns of a BF16/F16 tensor into a ShortArray. */
    public static void putBits(Tensor t, ShortArray a) {
        if (t.dtype().byteSize() != 2) {
            throw new IllegalArgumentException(t + " is not a 16-bit tensor");
        }
        MemorySegment.copy(t.segment(), 0, a.getSegment(), 0, t.numel() * 2);
    }

    /** The first {@code t.numel()} floats of {@code a} into the F32 tensor {@code t}. */
    public static void get(FloatArray a, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException("results go to F32 tensors, not " + t);
        }
        MemorySegment.copy(a.getSegment(), 0, t.segment(), 0, t.numel() * Float.BYTES);
    }

    /** A device-side fp32 copy of a small parameter tensor (norm weights, modulation rows), or {@code fill}. */
    public static FloatArray floats(Tensor t, int n, float fill) {
        FloatArray a = new FloatArray(n);
        if (t == null) {
            a.init(fill);
        } else {
            if (t.numel() != n) {
                throw new IllegalArgumentException(t + " must have " + n + " elements");
            }
            put(t, a);
        }
        return a;
    }
}
