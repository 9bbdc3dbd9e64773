package chameleon.tensor;

/**
 * A row-major tensor viewed as [outer, n, inner] around one axis (reductions over that axis), and the shape
 * that remains without it.
 *
 * @param outDims the shape without {@code axis}
 */
public record AxisSplit(int outer, int n, int inner, int[] outDims) {

    /** @param op named in the error when {@code axis} is outside {@code x} */
    public static AxisSplit of(String op, Shape x, int axis) {
        int rank = x.rank();
        if (axis < 0 || axis >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " outside " + x);
        }
        int[] dims = x.dims();
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) {
            outer *= dims[i];
        }
        for (int i = axis + 1; i < rank; i++) {
            inner *= dims[i];
        }
        int[] outDims = new int[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != axis) {
                outDims[j++] = dims[i];
            }
        }
        return new AxisSplit(outer, dims[axis], inner, outDims);
    }
}
