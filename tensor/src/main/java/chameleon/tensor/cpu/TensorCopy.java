package chameleon.tensor.cpu;

import chameleon.tensor.Shape;
import chameleon.tensor.StridedCopy;
import chameleon.tensor.Tensor;

/**
 * Data movement without arithmetic: permute, concat, slice and nearest ×2 upsampling. All four are one
 * strided copy: walk an index space {@code dims}, read the source at {@code Σ i·srcStride} and write
 * the destination at {@code Σ i·dstStride} (a stride of 0 repeats an element, which is how upsampling
 * duplicates pixels). Parallel over the outermost axis; the innermost axis is copied with
 * {@link System#arraycopy} when both sides are contiguous.
 */
final class TensorCopy {
    private TensorCopy() {
    }

    static Tensor permute(Tensor x, int... axes) {
        return run(StridedCopy.permute(x.shape(), axes), x);
    }

    static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat: no tensors");
        }
        int rank = parts[0].shape().rank();
        if (axis < 0 || axis >= rank) {
            throw new IllegalArgumentException("concat: axis " + axis + " outside a rank-" + rank + " tensor");
        }
        int[] dims = parts[0].shape().dims();
        int total = 0;
        for (Tensor p : parts) {
            int[] d = p.shape().dims();
            d[axis] = dims[axis];
            if (!java.util.Arrays.equals(d, dims)) {
                throw new IllegalArgumentException("concat along axis " + axis + ": " + p.shape() + " does not match "
                        + parts[0].shape());
            }
            total += p.dim(axis);
        }
        dims[axis] = total;
        Tensor y = Tensor.zeros(dims);
        int[] yStrides = StridedCopy.strides(dims);
        int at = 0;
        for (Tensor p : parts) {
            Tensor pf = p.toF32();
            int[] pd = p.shape().dims();
            copy(pd, pf.array(), pf.arrayOffset(), StridedCopy.strides(pd), y.array(), at * yStrides[axis], yStrides);
            at += p.dim(axis);
        }
        return y;
    }

    static Tensor slice(Tensor x, int axis, int from, int to) {
        return run(StridedCopy.slice(x.shape(), axis, from, to), x);
    }

    static Tensor upsampleNearest2x(Tensor x) {
        return run(StridedCopy.upsampleNearest2x(x.shape()), x);
    }

    private static Tensor run(StridedCopy c, Tensor x) {
        Tensor xf = x.toF32();
        Tensor y = Tensor.zeros(c.outDims());
        copy(c.dims(), xf.array(), xf.arrayOffset() + c.srcOffset(), c.srcStrides(), y.array(), 0, StridedCopy.strides(c.dims()));
        return y;
    }

    /** dst[do + Σ i·ds] = src[so + Σ i·ss] for every index i of dims. */
    private static void copy(int[] dims, float[] src, int so, int[] ss, float[] dst, int dOff, int[] ds) {
        if (Shape.of(dims).numel() == 0) {
            return;
        }
        if (dims.length == 0) {
            dst[dOff] = src[so];
            return;
        }
        CpuParallel.forEach(dims[0], i -> copyInner(dims, 1, src, so + i * ss[0], ss, dst, dOff + i * ds[0], ds));
    }

    private static void copyInner(int[] dims, int axis, float[] src, int so, int[] ss, float[] dst, int dOff, int[] ds) {
        if (axis == dims.length) {
            dst[dOff] = src[so];
            return;
        }
        int n = dims[axis];
        if (axis == dims.length - 1) {
            int s = ss[axis], d = ds[axis];
            if (s == 1 && d == 1) {
                System.arraycopy(src, so, dst, dOff, n);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i * d] = src[so + i * s];
                }
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            copyInner(dims, axis + 1, src, so + i * ss[axis], ss, dst, dOff + i * ds[axis], ds);
        }
    }
}
