package chameleon.tensor.cpu;

import chameleon.tensor.Shape;
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
        int rank = x.shape().rank();
        if (axes.length != rank) {
            throw new IllegalArgumentException("permute: " + axes.length + " axes for a tensor of shape " + x.shape());
        }
        int[] srcStrides = strides(x.shape().dims());
        int[] dims = new int[rank], from = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int a = axes[i];
            if (a < 0 || a >= rank || seen[a]) {
                throw new IllegalArgumentException("permute: " + java.util.Arrays.toString(axes) + " is not a permutation of "
                        + rank + " axes");
            }
            seen[a] = true;
            dims[i] = x.dim(a);
            from[i] = srcStrides[a];
        }
        Tensor xf = x.toF32();
        Tensor y = Tensor.zeros(dims);
        copy(dims, xf.array(), xf.arrayOffset(), from, y.array(), 0, strides(dims));
        return y;
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
        int[] yStrides = strides(dims);
        int at = 0;
        for (Tensor p : parts) {
            Tensor pf = p.toF32();
            int[] pd = p.shape().dims();
            copy(pd, pf.array(), pf.arrayOffset(), strides(pd), y.array(), at * yStrides[axis], yStrides);
            at += p.dim(axis);
        }
        return y;
    }

    static Tensor slice(Tensor x, int axis, int from, int to) {
        int rank = x.shape().rank();
        if (axis < 0 || axis >= rank || from < 0 || to > x.dim(axis) || from > to) {
            throw new IllegalArgumentException("slice: [" + from + ", " + to + ") along axis " + axis + " of " + x.shape());
        }
        int[] dims = x.shape().dims();
        int[] xStrides = strides(dims);
        dims[axis] = to - from;
        Tensor xf = x.toF32();
        Tensor y = Tensor.zeros(dims);
        copy(dims, xf.array(), xf.arrayOffset() + from * xStrides[axis], xStrides, y.array(), 0, strides(dims));
        return y;
    }

    static Tensor upsampleNearest2x(Tensor x) {
        int rank = x.shape().rank();
        if (rank < 2) {
            throw new IllegalArgumentException("upsampleNearest2x: " + x.shape() + " needs at least [H, W]");
        }
        int h = x.dim(rank - 2), w = x.dim(rank - 1);
        int[] outDims = x.shape().dims();
        outDims[rank - 2] = 2 * h;
        outDims[rank - 1] = 2 * w;
        // Index space [..., H, 2, W, 2]: output (2i+q, 2j+r) reads input (i, j).
        int[] dims = new int[rank + 2], src = new int[rank + 2];
        int[] xStrides = strides(x.shape().dims());
        for (int i = 0; i < rank - 2; i++) {
            dims[i] = x.dim(i);
            src[i] = xStrides[i];
        }
        dims[rank - 2] = h;
        dims[rank - 1] = 2;
        dims[rank] = w;
        dims[rank + 1] = 2;
        src[rank - 2] = w;
        src[rank] = 1;
        Tensor xf = x.toF32();
        Tensor y = Tensor.zeros(outDims);
        copy(dims, xf.array(), xf.arrayOffset(), src, y.array(), 0, strides(dims));
        return y;
    }

    /** Row-major strides of a shape. */
    private static int[] strides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc = Math.multiplyExact(acc, dims[i]);
        }
        return s;
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
