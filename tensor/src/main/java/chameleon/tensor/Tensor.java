package chameleon.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A dense row-major tensor: a {@link Shape}, a {@link DType} and the {@link MemorySegment} that holds
 * the elements (little-endian, as on disk).
 *
 * <p>Activations made by the CPU backend are F32 and live on the Java heap ({@link #array()} gives the
 * backing {@code float[]} to the kernels); weights usually stay in a memory-mapped checkpoint in their
 * on-disk dtype. {@link #reshape} and {@link #rows} are views: they share the segment.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final DType dtype;
    private final Shape shape;
    private final MemorySegment data;

    private Tensor(DType dtype, Shape shape, MemorySegment data) {
        this.dtype = Objects.requireNonNull(dtype);
        this.shape = Objects.requireNonNull(shape);
        this.data = Objects.requireNonNull(data);
        long expected = shape.numel() * dtype.byteSize();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + dtype + shape + " needs " + expected
                    + " bytes, segment has " + data.byteSize());
        }
    }

    /** Wraps existing memory (for example a slice of a mapped checkpoint) without copying. */
    public static Tensor wrap(DType dtype, Shape shape, MemorySegment data) {
        return new Tensor(dtype, shape, data);
    }

    /** A zero-filled F32 tensor on the heap. */
    public static Tensor zeros(int... dims) {
        Shape s = Shape.of(dims);
        long n = s.numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("F32 heap tensor too large: " + s);
        }
        return new Tensor(DType.F32, s, MemorySegment.ofArray(new float[(int) n]));
    }

    /** A heap F32 tensor over {@code values} (not copied). */
    public static Tensor of(float[] values, int... dims) {
        return new Tensor(DType.F32, Shape.of(dims), MemorySegment.ofArray(values));
    }

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    public int dim(int axis) {
        return shape.dim(axis);
    }

    public long numel() {
        return shape.numel();
    }

    public MemorySegment segment() {
        return data;
    }

    /** True when this is an F32 tensor backed by a heap {@code float[]}. */
    public boolean isHeapF32() {
        return dtype == DType.F32 && data.heapBase().orElse(null) instanceof float[];
    }

    /**
     * The heap array behind an F32 tensor; elements start at {@link #arrayOffset()}. CPU kernels work
     * on this directly.
     */
    public float[] array() {
        if (!(dtype == DType.F32 && data.heapBase().orElse(null) instanceof float[] a)) {
            throw new IllegalStateException("tensor " + dtype + shape + " is not a heap F32 tensor");
        }
        return a;
    }

    /** Index of element 0 in {@link #array()}. */
    public int arrayOffset() {
        // For heap segments, address() is the byte offset into the array.
        return (int) (data.address() / Float.BYTES);
    }

    /** A view with another shape of the same element count. */
    public Tensor reshape(int... dims) {
        Shape s = Shape.of(dims);
        if (s.numel() != shape.numel()) {
            throw new IllegalArgumentException("cannot reshape " + shape + " to " + s);
        }
        return new Tensor(dtype, s, data);
    }

    /** A view of rows {@code [from, to)} along axis 0. */
    public Tensor rows(int from, int to) {
        if (from < 0 || to > shape.dim(0) || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of " + shape);
        }
        long rowBytes = shape.rowSize() * dtype.byteSize();
        return new Tensor(dtype, shape.withDim0(to - from), data.asSlice(from * rowBytes, (to - from) * rowBytes));
    }

    /** Element {@code i} (flat index) widened to float. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32_LE, i);
            case BF16 -> DType.bf16ToFloat(data.getAtIndex(I16_LE, i));
            case F16 -> DType.f16ToFloat(data.getAtIndex(I16_LE, i));
            case F64 -> (float) data.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            default -> (float) getLong(i);
        };
    }

    /** Element {@code i} (flat index) of an integer tensor. */
    public long getLong(long i) {
        return switch (dtype) {
            case I64 -> data.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
            case I32 -> data.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            case I16 -> data.getAtIndex(I16_LE, i);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            default -> throw new IllegalStateException("getLong on " + dtype + " tensor");
        };
    }

    /** Stores {@code v} at flat index {@code i}, rounding to nearest-even for F16/BF16. */
    public void setFloat(long i, float v) {
        switch (dtype) {
            case F32 -> data.setAtIndex(F32_LE, i, v);
            case BF16 -> data.setAtIndex(I16_LE, i, DType.floatToBf16(v));
            case F16 -> data.setAtIndex(I16_LE, i, DType.floatToF16(v));
            case F64 -> data.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
            default -> throw new IllegalStateException("setFloat on " + dtype + " tensor");
        }
    }

    /** Copies {@code count} elements from flat index {@code from} into {@code dst}, widened to float. */
    public void readFloats(long from, float[] dst, int dstOff, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32_LE, from * 4, dst, dstOff, count);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = DType.bf16ToFloat(data.getAtIndex(I16_LE, from + i));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = DType.f16ToFloat(data.getAtIndex(I16_LE, from + i));
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = getFloat(from + i);
                }
            }
        }
    }

    /** All elements as a new float array. */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("tensor " + shape + " too large for one float[]");
        }
        float[] out = new float[(int) n];
        readFloats(0, out, 0, (int) n);
        return out;
    }

    /** This tensor if it is a heap F32 tensor, else an F32 heap copy. */
    public Tensor toF32() {
        return isHeapF32() ? this : of(toFloatArray(), shape.dims());
    }

    /** An independent heap F32 copy. */
    public Tensor copy() {
        return of(toFloatArray(), shape.dims());
    }

    /** A copy converted to {@code target} (F32, F16 or BF16), off-heap-independent, on the heap. */
    public Tensor convertTo(DType target) {
        if (target == DType.F32) {
            return copy();
        }
        long n = numel();
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(n * target.byteSize())]);
        Tensor t = new Tensor(target, shape, seg);
        for (long i = 0; i < n; i++) {
            t.setFloat(i, getFloat(i));
        }
        return t;
    }

    @Override
    public String toString() {
        return "Tensor" + shape + " " + dtype;
    }
}
