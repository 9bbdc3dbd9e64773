package chameleon.weights;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * What {@code torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)} describes: a
 * strided view into a storage. The constructor refuses views that reach outside their storage, so a
 * hostile checkpoint cannot make us read past the bytes it provides.
 *
 * @param offset storage offset in elements
 * @param stride stride of each axis in elements (not copied by the accessor; do not modify)
 */
record PickledTensor(PickledStorage storage, long offset, Shape shape, long[] stride) {

    PickledTensor {
        if (stride.length != shape.rank()) {
            throw new IllegalArgumentException("size has " + shape.rank() + " dimensions but stride has " + stride.length);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("negative storage offset " + offset);
        }
        stride = stride.clone();
        long last = offset; // index of the last element the view touches
        try {
            for (int i = 0; i < stride.length; i++) {
                if (stride[i] < 0) {
                    throw new IllegalArgumentException("negative stride " + stride[i]);
                }
                if (shape.dim(i) > 0) {
                    last = Math.addExact(last, Math.multiplyExact(shape.dim(i) - 1L, stride[i]));
                }
            }
            shape.numel(); // overflow check
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size " + shape + " with stride " + Arrays.toString(stride) + " overflows");
        }
        if (shape.numel() > 0 && last >= storage.numel()) {
            throw new IllegalArgumentException("view at offset " + offset + " with size " + shape + " and stride "
                    + Arrays.toString(stride) + " reaches element " + last + " of a storage of " + storage.numel());
        }
    }

    DType dtype() {
        return storage.dtype();
    }

    /**
     * Row-major with no gaps, the way a fresh tensor is laid out. Like PyTorch, the stride of an axis
     * of length 1 does not matter, and an empty tensor counts as contiguous.
     */
    boolean isContiguous() {
        if (shape.numel() == 0) {
            return true;
        }
        long expected = 1;
        for (int i = shape.rank() - 1; i >= 0; i--) {
            if (shape.dim(i) != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape.dim(i);
        }
        return true;
    }

    /**
     * Gathers the view's elements from {@code storageBytes} into {@code dst} in row-major order. Runs
     * along the last axis are copied as one block when that axis has stride 1.
     */
    void copyContiguous(MemorySegment storageBytes, MemorySegment dst) {
        long es = dtype().byteSize();
        long n = shape.numel();
        if (n == 0) {
            return;
        }
        int rank = shape.rank();
        if (rank == 0) {
            MemorySegment.copy(storageBytes, offset * es, dst, 0, es);
            return;
        }
        int inner = shape.dim(rank - 1);
        long innerStride = stride[rank - 1];
        int[] index = new int[rank - 1]; // position over all axes but the last, odometer style
        long dstPos = 0;
        for (long run = 0, runs = n / inner; run < runs; run++) {
            long src = offset;
            for (int i = 0; i < rank - 1; i++) {
                src += index[i] * stride[i];
            }
            if (innerStride == 1) {
                MemorySegment.copy(storageBytes, src * es, dst, dstPos, inner * es);
                dstPos += inner * es;
            } else {
                for (int j = 0; j < inner; j++) {
                    MemorySegment.copy(storageBytes, (src + j * innerStride) * es, dst, dstPos, es);
                    dstPos += es;
                }
            }
            for (int i = rank - 2; i >= 0; i--) {
                if (++index[i] < shape.dim(i)) {
                    break;
                }
                index[i] = 0;
            }
        }
    }
}
