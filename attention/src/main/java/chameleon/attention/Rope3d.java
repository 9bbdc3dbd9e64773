package chameleon.attention;

import chameleon.tensor.Tensor;

/**
 * Wan's 3D rotary position embedding (MODEL.md §2.4): head dim 128 = 64 adjacent complex pairs, pairs
 * 0–21 rotate with the latent frame index (ω_j = 10000^(−2j/44)), pairs 22–42 with the token row and
 * 43–63 with the token column (ω_j = 10000^(−2j/42)).
 *
 * <p>The reference caches 1024 positions ({@code rope_params(1024, …)}); this computes the angles of
 * exactly the tokens asked for, so temporal indices grow without bound in long sessions.
 */
public final class Rope3d {
    private final int headDim;
    private final double[] temporalFreq; // [tPairs]
    private final double[] spatialFreq;  // [hPairs] (rows and columns share the same frequencies)

    public Rope3d(int headDim) {
        if (headDim % 2 != 0 || headDim < 12) {
            throw new IllegalArgumentException("RoPE head dim must be even and ≥ 12, got " + headDim);
        }
        this.headDim = headDim;
        int spatialDims = 2 * (headDim / 6);          // 42 for head dim 128
        int temporalDims = headDim - 2 * spatialDims; // 44
        this.temporalFreq = frequencies(temporalDims);
        this.spatialFreq = frequencies(spatialDims);
    }

    /** rope_params: ω_j = 1 / 10000^(2j/dims), j = 0 .. dims/2 − 1, in float64 as the reference. */
    private static double[] frequencies(int dims) {
        double[] f = new double[dims / 2];
        for (int j = 0; j < f.length; j++) {
            f[j] = 1.0 / StrictMath.pow(10000.0, (2.0 * j) / dims);
        }
        return f;
    }

    /**
     * Rotation tables for {@code frames × rows × cols} tokens in (f, h, w) row-major order whose first
     * frame has temporal index {@code startFrame}.
     *
     * @return {cos, sin}, each [tokens, headDim/2]
     */
    public Tensor[] tables(int startFrame, int frames, int rows, int cols) {
        int half = headDim / 2;
        int tokens = frames * rows * cols;
        float[] cos = new float[tokens * half];
        float[] sin = new float[tokens * half];
        int tp = temporalFreq.length, sp = spatialFreq.length;
        for (int f = 0; f < frames; f++) {
            for (int h = 0; h < rows; h++) {
                for (int w = 0; w < cols; w++) {
                    int o = ((f * rows + h) * cols + w) * half;
                    for (int j = 0; j < tp; j++) {
                        put(cos, sin, o + j, (double) (startFrame + f) * temporalFreq[j]);
                    }
                    for (int j = 0; j < sp; j++) {
                        put(cos, sin, o + tp + j, (double) h * spatialFreq[j]);
                        put(cos, sin, o + tp + sp + j, (double) w * spatialFreq[j]);
                    }
                }
            }
        }
        return new Tensor[] {Tensor.of(cos, tokens, half), Tensor.of(sin, tokens, half)};
    }

    private static void put(float[] cos, float[] sin, int i, double angle) {
        cos[i] = (float) StrictMath.cos(angle);
        sin[i] = (float) StrictMath.sin(angle);
    }
}
