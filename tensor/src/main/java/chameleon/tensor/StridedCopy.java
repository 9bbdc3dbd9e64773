package chameleon.tensor;

import java.util.Arrays;

/**
 * A copy without arithmetic, described once for every backend: walk the index space {@code dims} in row-major
 * order (that order is y's elements), reading the source at {@code srcOffset + Σ i·srcStrides}. Permute, slice
 * and nearest ×2 upsampling are all of this form (a stride of 0 repeats an element: upsampling).
 *
 * @param outDims    y's shape (same element count as {@code dims})
 * @param dims       the index space, possibly y's axes split further
 * @param srcStrides source elements to step per index of each axis of {@code dims}
 * @param srcOffset  source element of index 0
 */
public record StridedCopy(int[] outDims, int[] dims, int[] srcStrides, int srcOffset) {

    /** y = x with its axes reordered: y's axis i is x's axis {@code axes[i]}. */
    public static StridedCopy permute(Shape x, int... axes) {
        int rank = x.rank();
        if (axes.length != rank) {
            throw new IllegalArgumentException("permute: " + axes.length + " axes for a tensor of shape " + x);
        }
        int[] xStrides = strides(x.dims());
        int[] dims = new int[rank], from = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int a = axes[i];
            if (a < 0 || a >= rank || seen[a]) {
                throw new IllegalArgumentException("permute: " + Arrays.toString(axes) + " is not a permutation of "
                        + rank + " axes");
            }
            seen[a] = true;
            dims[i] = x.dim(a);
            from[i] = xStrides[a];
        }
        return new StridedCopy(dims, dims, from, 0);
    }

    /** y = x[..., from:to, ...] along {@code axis}. */
    public static StridedCopy slice(Shape x, int axis, int from, int to) {
        int rank = x.rank();
        if (axis < 0 || axis >= rank || from < 0 || to > x.dim(axis) || from > to) {
            throw new IllegalArgumentException("slice: [" + from + ", " + to + ") along axis " + axis + " of " + x);
        }
        int[] dims = x.dims();
        int[] xStrides = strides(dims);
        dims[axis] = to - from;
        return new StridedCopy(dims, dims, xStrides, from * xStrides[axis]);
    }

    /** y [..., 2H, 2W] from x [..., H, W]: output (2i+q, 2j+r) reads input (i, j). */
    public static StridedCopy upsampleNearest2x(Shape x) {
        int rank = x.rank();
        if (rank < 2) {
            throw new IllegalArgumentException("upsampleNearest2x: " + x + " needs at least [H, W]");
        }
        int h = x.dim(rank - 2), w = x.dim(rank - 1);
        int[] outDims = x.dims();
        outDims[rank - 2] = 2 * h;
        outDims[rank - 1] = 2 * w;
        // Index space [..., H, 2, W, 2] in y's order; the two size-2 axes have source stride 0.
        int[] dims = new int[rank + 2], src = new int[rank + 2];
        int[] xStrides = strides(x.dims());
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
        return new StridedCopy(outDims, dims, src, 0);
    }

    /** Row-major strides of a shape. */
    public static int[] strides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc = Math.multiplyExact(acc, dims[i]);
        }
        return s;
    }
}
