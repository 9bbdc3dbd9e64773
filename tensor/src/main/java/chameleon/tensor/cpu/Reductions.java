package chameleon.tensor.cpu;

import chameleon.tensor.AxisSplit;
import chameleon.tensor.Tensor;

/** Reductions over one axis of a row-major tensor viewed as [outer, n, inner]. */
final class Reductions {
    private Reductions() {
    }

    /** y[o, i] = (Σ_j x[o, j, i]) / n, summed in fp32 in index order as PyTorch's CPU/GPU mean would. */
    static Tensor mean(Tensor x, int axis) {
        AxisSplit split = AxisSplit.of("mean", x.shape(), axis);
        int n = split.n(), outer = split.outer(), inner = split.inner();
        int[] outDims = split.outDims();
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
