package chameleon.tensor.cpu;

import chameleon.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels over axis 0 of channel-first tensors [C, S] (S = every trailing position, e.g. T·H·W): the
 * VAE's channel RMS norm and a per-channel affine map. Channel c's values are contiguous, so the
 * kernels run down the channels for a block of positions at a time, vectorised along the positions.
 */
final class ChannelKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 1024; // positions per task
    private static final float NORM_EPS = 1e-12f; // F.normalize's default eps

    private ChannelKernels() {
    }

    static Tensor channelRmsNorm(Tensor x, Tensor gamma) {
        int c = x.dim(0), s = (int) x.shape().rowSize();
        if (gamma.numel() != c) {
            throw new IllegalArgumentException("channelRmsNorm: gamma " + gamma.shape() + " must have " + c + " elements for x "
                    + x.shape());
        }
        float[] g = gamma.toFloatArray();
        float scale = (float) Math.sqrt(c);
        Tensor xf = x.toF32();
        float[] xa = xf.array();
        int xo = xf.arrayOffset();
        Tensor y = Tensor.zeros(x.shape().dims());
        float[] ya = y.array();
        CpuParallel.forEach((s + BLOCK - 1) / BLOCK, blk -> {
            int p0 = blk * BLOCK, n = Math.min(BLOCK, s - p0);
            float[] sumSq = new float[n];
            for (int ch = 0; ch < c; ch++) {
                int o = xo + ch * s + p0, i = 0;
                for (int nv = S.loopBound(n); i < nv; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, xa, o + i);
                    v.fma(v, FloatVector.fromArray(S, sumSq, i)).intoArray(sumSq, i);
                }
                for (; i < n; i++) {
                    sumSq[i] += xa[o + i] * xa[o + i];
                }
            }
            float[] inv = sumSq; // reuse: 1 / max(‖x‖, eps)
            for (int i = 0; i < n; i++) {
                inv[i] = 1f / Math.max((float) Math.sqrt(sumSq[i]), NORM_EPS);
            }
            for (int ch = 0; ch < c; ch++) {
                int o = ch * s + p0;
                float k = g[ch];
                for (int i = 0; i < n; i++) {
                    ya[o + i] = xa[xo + o + i] * inv[i] * scale * k;
                }
            }
        });
        return y;
    }

    static void channelAffine(Tensor x, Tensor scale, Tensor shift) {
        int c = x.dim(0), s = (int) x.shape().rowSize();
        if ((scale != null && scale.numel() != c) || (shift != null && shift.numel() != c)) {
            throw new IllegalArgumentException("channelAffine: scale/shift must have " + c + " elements for x " + x.shape());
        }
        float[] a = scale == null ? null : scale.toFloatArray();
        float[] b = shift == null ? null : shift.toFloatArray();
        float[] xa = x.array();
        int xo = x.arrayOffset();
        CpuParallel.forEach(c, ch -> {
            float m = a == null ? 1f : a[ch], d = b == null ? 0f : b[ch];
            for (int i = xo + ch * s, end = i + s; i < end; i++) {
                xa[i] = xa[i] * m + d;
            }
        });
    }
}
