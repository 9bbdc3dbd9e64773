package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * {@code y[M, N] = x[M, K]·w[N, K]ᵀ + b[N]}, fp32 accumulation, register-tiled: each thread owns a
 * 4×4 tile of y and streams K once, so every loaded x value is used 4 times and every weight value 4
 * times. Weights stay in their checkpoint dtype on the device (F32, or BF16/F16 bits in a
 * {@link ShortArray}) and are widened in the kernel.
 *
 * <p>The x/y buffers are sized for {@code rowTiles·4} rows (the plan's capacity); {@code dims[0]} is the
 * number of rows in use this execution, so one plan (and one device copy of the weight) serves every
 * row count up to its capacity. Rows and columns past the edge read clamped indices and are not
 * stored. {@code @Parallel} loops only (no local memory), so the same code is correct on PoCL.
 */
public final class GemmKernels {
    public static final int TILE = 4;

    private GemmKernels() {
    }

    public static void linearF32(FloatArray x, FloatArray w, FloatArray b, FloatArray y, IntArray dims,
                                 int rowTiles, int colTiles, int k, int n) {
        for (@Parallel int ti = 0; ti < rowTiles; ti++) {
            for (@Parallel int tj = 0; tj < colTiles; tj++) {
                int m = dims.get(0);
                int i0 = ti * 4;
                if (i0 < m) {
                    int j0 = tj * 4;
                    int x0 = i0 * k;
                    int x1 = (i0 + 1 < m ? i0 + 1 : m - 1) * k;
                    int x2 = (i0 + 2 < m ? i0 + 2 : m - 1) * k;
                    int x3 = (i0 + 3 < m ? i0 + 3 : m - 1) * k;
                    int w0 = j0 * k;
                    int w1 = (j0 + 1 < n ? j0 + 1 : n - 1) * k;
                    int w2 = (j0 + 2 < n ? j0 + 2 : n - 1) * k;
                    int w3 = (j0 + 3 < n ? j0 + 3 : n - 1) * k;
                    float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                    float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                    float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                    float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                    for (int c = 0; c < k; c++) {
                        float u0 = x.get(x0 + c), u1 = x.get(x1 + c), u2 = x.get(x2 + c), u3 = x.get(x3 + c);
                        float v0 = w.get(w0 + c), v1 = w.get(w1 + c), v2 = w.get(w2 + c), v3 = w.get(w3 + c);
                        a00 += u0 * v0; a01 += u0 * v1; a02 += u0 * v2; a03 += u0 * v3;
                        a10 += u1 * v0; a11 += u1 * v1; a12 += u1 * v2; a13 += u1 * v3;
                        a20 += u2 * v0; a21 += u2 * v1; a22 += u2 * v2; a23 += u2 * v3;
                        a30 += u3 * v0; a31 += u3 * v1; a32 += u3 * v2; a33 += u3 * v3;
                    }
                    storeRow(y, b, i0, j0, n, a00, a01, a02, a03);
                    if (i0 + 1 < m) {
                        storeRow(y, b, i0 + 1, j0, n, a10, a11, a12, a13);
                    }
                    if (i0 + 2 < m) {
                        storeRow(y, b, i0 + 2, j0, n, a20, a21, a22, a23);
                    }
                    if (i0 + 3 < m) {
                        storeRow(y, b, i0 + 3, j0, n, a30, a31, a32, a33);
                    }
                }
            }
        }
    }

    /** As {@link #linearF32} with bfloat16 weight bits, widened by {@link #bf16ToFloat} ({@code pow2} = {@link #bf16Pow2()}). */
    public static void linearBf16(FloatArray x, ShortArray w, FloatArray pow2, FloatArray b, FloatArray y,
                                  IntArray dims, int rowTiles, int colTiles, int k, int n) {
        for (@Parallel int ti = 0; ti < rowTiles; ti++) {
            for (@Parallel int tj = 0; tj < colTiles; tj++) {
                int m = dims.get(0);
                int i0 = ti * 4;
                if (i0 < m) {
                    int j0 = tj * 4;
                    int x0 = i0 * k;
                    int x1 = (i0 + 1 < m ? i0 + 1 : m - 1) * k;
                    int x2 = (i0 + 2 < m ? i0 + 2 : m - 1) * k;
                    int x3 = (i0 + 3 < m ? i0 + 3 : m - 1) * k;
                    int w0 = j0 * k;
                    int w1 = (j0 + 1 < n ? j0 + 1 : n - 1) * k;
                    int w2 = (j0 + 2 < n ? j0 + 2 : n - 1) * k;
                    int w3 = (j0 + 3 < n ? j0 + 3 : n - 1) * k;
                    float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                    float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                    float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                    float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                    for (int c = 0; c < k; c++) {
                        float u0 = x.get(x0 + c), u1 = x.get(x1 + c), u2 = x.get(x2 + c), u3 = x.get(x3 + c);
                        float v0 = bf16ToFloat(w.get(w0 + c), pow2);
                        float v1 = bf16ToFloat(w.get(w1 + c), pow2);
                        float v2 = bf16ToFloat(w.get(w2 + c), pow2);
                        float v3 = bf16ToFloat(w.get(w3 + c), pow2);
                        a00 += u0 * v0; a01 += u0 * v1; a02 += u0 * v2; a03 += u0 * v3;
                        a10 += u1 * v0; a11 += u1 * v1; a12 += u1 * v2; a13 += u1 * v3;
                        a20 += u2 * v0; a21 += u2 * v1; a22 += u2 * v2; a23 += u2 * v3;
                        a30 += u3 * v0; a31 += u3 * v1; a32 += u3 * v2; a33 += u3 * v3;
                    }
                    storeRow(y, b, i0, j0, n, a00, a01, a02, a03);
                    if (i0 + 1 < m) {
                        storeRow(y, b, i0 + 1, j0, n, a10, a11, a12, a13);
                    }
                    if (i0 + 2 < m) {
                        storeRow(y, b, i0 + 2, j0, n, a20, a21, a22, a23);
                    }
                    if (i0 + 3 < m) {
                        storeRow(y, b, i0 + 3, j0, n, a30, a31, a32, a33);
                    }
                }
            }
        }
    }

    /** As {@link #linearF32} with IEEE binary16 weight bits, widened by {@link #f16ToFloat} ({@code pow2} = {@link #f16Pow2()}). */
    public static void linearF16(FloatArray x, ShortArray w, FloatArray pow2, FloatArray b, FloatArray y,
                                 IntArray dims, int rowTiles, int colTiles, int k, int n) {
        for (@Parallel int ti = 0; ti < rowTiles; ti++) {
            for (@Parallel int tj = 0; tj < colTiles; tj++) {
                int m = dims.get(0);
                int i0 = ti * 4;
                if (i0 < m) {
                    int j0 = tj * 4;
                    int x0 = i0 * k;
                    int x1 = (i0 + 1 < m ? i0 + 1 : m - 1) * k;
                    int x2 = (i0 + 2 < m ? i0 + 2 : m - 1) * k;
                    int x3 = (i0 + 3 < m ? i0 + 3 : m - 1) * k;
                    int w0 = j0 * k;
                    int w1 = (j0 + 1 < n ? j0 + 1 : n - 1) * k;
                    int w2 = (j0 + 2 < n ? j0 + 2 : n - 1) * k;
                    int w3 = (j0 + 3 < n ? j0 + 3 : n - 1) * k;
                    float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                    float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                    float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                    float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                    for (int c = 0; c < k; c++) {
                        float u0 = x.get(x0 + c), u1 = x.get(x1 + c), u2 = x.get(x2 + c), u3 = x.get(x3 + c);
                        float v0 = f16ToFloat(w.get(w0 + c), pow2);
                        float v1 = f16ToFloat(w.get(w1 + c), pow2);
                        float v2 = f16ToFloat(w.get(w2 + c), pow2);
                        float v3 = f16ToFloat(w.get(w3 + c), pow2);
                        a00 += u0 * v0; a01 += u0 * v1; a02 += u0 * v2; a03 += u0 * v3;
                        a10 += u1 * v0; a11 += u1 * v1; a12 += u1 * v2; a13 += u1 * v3;
                        a20 += u2 * v0; a21 += u2 * v1; a22 += u2 * v2; a23 += u2 * v3;
                        a30 += u3 * v0; a31 += u3 * v1; a32 += u3 * v2; a33 += u3 * v3;
                    }
                    storeRow(y, b, i0, j0, n, a00, a01, a02, a03);
                    if (i0 + 1 < m) {
                        storeRow(y, b, i0 + 1, j0, n, a10, a11, a12, a13);
                    }
                    if (i0 + 2 < m) {
                        storeRow(y, b, i0 + 2, j0, n, a20, a21, a22, a23);
                    }
                    if (i0 + 3 < m) {
                        storeRow(y, b, i0 + 3, j0, n, a30, a31, a32, a33);
                    }
                }
            }
        }
    }

    /** Stores up to four columns {@code j0..j0+3} (those below n) of row i, plus the bias. */
    private static void storeRow(FloatArray y, FloatArray b, int i, int j0, int n, float s0, float s1, float s2, float s3) {
        int r = i * n + j0;
        y.set(r, s0 + b.get(j0));
        if (j0 + 1 < n) {
            y.set(r + 1, s1 + b.get(j0 + 1));
        }
        if (j0 + 2 < n) {
            y.set(r + 2, s2 + b.get(j0 + 2));
        }
        if (j0 + 3 < n) {
            y.set(r + 3, s3 + b.get(j0 + 3));
        }
    }

    // Widening without bit reinterpretation: neither TornadoVM's OpenCL nor its PTX backend implements
    // Float.intBitsToFloat in kernels. value = ±significand · 2^(e − bias − mantissa bits), with the
    // power of two looked up in a small table (uploaded once with the weight): exact for zeros,
    // subnormals and normals; Inf for an all-ones exponent (NaN weights also decode to ±Inf).

    /** pow2[e] = 2^(e − 134) for e ≥ 1, pow2[0] = 2^−133 (bf16 subnormals), pow2[255] = ∞. */
    public static float[] bf16Pow2() {
        float[] t = new float[256];
        t[0] = Math.scalb(1f, -133);
        for (int e = 1; e < 255; e++) {
            t[e] = Math.scalb(1f, e - 134);
        }
        t[255] = Float.POSITIVE_INFINITY;
        return t;
    }

    /** pow2[e] = 2^(e − 25) for e ≥ 1, pow2[0] = 2^−24 (f16 subnormals), pow2[31] = ∞. */
    public static float[] f16Pow2() {
        float[] t = new float[32];
        t[0] = Math.scalb(1f, -24);
        for (int e = 1; e < 31; e++) {
            t[e] = Math.scalb(1f, e - 25);
        }
        t[31] = Float.POSITIVE_INFINITY;
        return t;
    }

    /** bfloat16 bits → float: (e = 0 ? m : 128 + m) · pow2[e], signed. */
    public static float bf16ToFloat(short bits, FloatArray pow2) {
        int u = bits & 0xffff;
        int e = (u >> 7) & 0xff;
        int m = u & 0x7f;
        float significand = e == 0 ? m : 128 + m;
        float magnitude = significand * pow2.get(e);
        return (u & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /** IEEE binary16 bits → float: (e = 0 ? m : 1024 + m) · pow2[e], signed. */
    public static float f16ToFloat(short bits, FloatArray pow2) {
        int u = bits & 0xffff;
        int e = (u >> 10) & 0x1f;
        int m = u & 0x3ff;
        float significand = e == 0 ? m : 1024 + m;
        float magnitude = significand * pow2.get(e);
        return (u & 0x8000) != 0 ? -magnitude : magnitude;
    }
}
