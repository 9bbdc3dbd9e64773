package chameleon.tensor.cpu;

import chameleon.tensor.Tensor;

/** Reductions over one axis of a row-major tensor viewed as [outer, n, inner]. */
final class Reductions {
    private Reductions() {
    }

    /** y[o, i] = (Σ_j x[o, j, i]) / n, summed in fp32 in index order as PyTorch's CPU/GPU mean would. */
    static Tensor mean(Tensor x, int axis) {
        int rank = x.shape().rank();
        if (axis < 0 || axis >= rank) {
            throw new IllegalArgumentException("mean: axis " + axis + " outside " + x.shape());
        }
        int[] dims = x.shape().dims();
        int n = dims[axis];
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
        Tensor xf = x.toF32();
        float[] xa = xf.array();
        int xo = xf.arrayOffset();
        Tensor y = Tensor.zeros(outDims);
        float[] ya = y.array();
        int in = inner;
        CpuParallel.forEach(outer, o -> {
            int yo = o * in;
            for (int j = 0; j < n; j++) {
                int src = xo + (o * n + j) * in;
                for (int i = 0; i < in; i++) {
                    ya[yo + i] += xa[src + i];
                }
            }
            for (int i = 0; i < in; i++) {
                ya[yo + i] /= n;
            }
        });
        return y;
    }
}
