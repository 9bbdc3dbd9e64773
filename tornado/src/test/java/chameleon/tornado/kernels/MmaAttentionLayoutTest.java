package chameleon.tornado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link MmaAttentionKernels#attention}'s data layout and two-pass softmax, in plain Java (no device: the MMA
 * intrinsics lower on PTX/CUDA only and KernelContext kernels do not run as Java). Each work-group step is
 * replayed with the kernel's own index formulas (the unrolled tile loads per thread t and load u, the score
 * scratch, the P tile, the merge of a query row's two threads), while the MMA side reads its operands the way
 * {@code ldmatrix} does: A as 16 rows of 32 bytes at a byte offset, B as a [16 k][8 n] row-major sub-tile. A
 * mismatch between where a load puts an element and where a fragment looks for it, or in the masking of a
 * window that is not a multiple of the key tile, shows against a double-precision attention.
 */
class MmaAttentionLayoutTest {
    private static final int D = 128;

    @Test
    void replayMatchesTheReferenceOverAnOddWindow() {
        int heads = 2, lq = 128, rows = 200, from = 5, to = 150;   // 145 keys: tiles of 64, 64, 17
        Random r = new Random(7);
        float[] q = random(r, lq * heads * D), k = random(r, rows * heads * D), v = random(r, rows * heads * D);
        float scale = (float) (1 / Math.sqrt(D));
        float[] out = new float[lq * heads * D];
        for (int h = 0; h < heads; h++) {
            workGroup(q, k, v, out, from, to, scale, heads, 0, h);
        }
        double err = 0, norm = 0;
        for (int i = 0; i < lq; i++) {
            for (int h = 0; h < heads; h++) {
                double[] ref = reference(q, k, v, i, h, heads, from, to, scale);
                for (int c = 0; c < D; c++) {
                    double diff = out[(i * heads + h) * D + c] - ref[c];
                    err += diff * diff;
                    norm += ref[c] * ref[c];
                }
            }
        }
        double rel = Math.sqrt(err / norm);
        // fp16 operands (q·scale, k, v, p): the H100 measured 4.6e-4 for the first version at 2688 × 20 240
        assertTrue(rel < 2e-3, "relative error " + rel);
    }

    @Test
    void packPutsLoFirst() {
        int p = HalfKernels.pack(1f, -2f);
        assertEquals(Float.floatToFloat16(1f), (short) p);
        assertEquals(Float.floatToFloat16(-2f), (short) (p >>> 16));
    }

    /** One work group (query rows qBase … qBase + 127, head h), step by step as the kernel runs it. */
    private static void workGroup(float[] q, float[] k, float[] v, float[] out, int from, int to, float scale,
                                  int heads, int qBlock, int h) {
        int rowStride = heads * D, col = h * D, qBase = qBlock * 128;
        int[] qkv = new int[8192];
        float[] scores = new float[64 * 128];   // this group's tile of the scratch (sRow = 0)
        for (int e = 0; e < 8192; e++) {
            int s = e >> 10, n = (e >> 6) & 15, dd = (e >> 2) & 15, pp = e & 3;
            int g = (qBase + n * 8 + 2 * pp) * rowStride + col + s * 16 + dd;
            qkv[e] = HalfKernels.pack(q[g] * scale, q[g + rowStride] * scale);
        }
        float[][][][] qb = new float[8][16][][];   // [warp][slab·2 + tile] Qᵀ fragments, read once
        for (int w = 0; w < 8; w++) {
            for (int s = 0; s < 8; s++) {
                qb[w][2 * s] = loadB(qkv, s * 4096 + w * 512);
                qb[w][2 * s + 1] = loadB(qkv, s * 4096 + 256 + w * 512);
            }
        }
        float[] m = new float[256], l = new float[256], inv = new float[256];
        java.util.Arrays.fill(m, -1.0e38f);
        float[][][][] o = new float[8][16][16][8];
        for (int pass = 0; pass < 2; pass++) {
            for (int j0 = from; j0 < to; j0 += 64) {
                for (int t = 0; t < 256; t++) {
                    int kRowA = Math.min(j0 + (t >> 3), to - 1) * rowStride + col + 2 * (t & 7);
                    int kRowB = Math.min(j0 + (t >> 3) + 32, to - 1) * rowStride + col + 2 * (t & 7);
                    for (int u = 0; u < 16; u++) {
                        int g = ((u & 1) == 1 ? kRowB : kRowA) + (u >> 1) * 16;
                        qkv[t + u * 256] = HalfKernels.pack(k[g], k[g + 1]);
                    }
                    if (pass == 1) {
                        int vKey = j0 + ((t >> 2) & 15);
                        int vCol = col + (t >> 6) * 8 + 2 * (t & 3);
                        for (int u = 0; u < 16; u++) {
                            int g = Math.min(vKey + (u >> 2) * 16, to - 1) * rowStride + vCol + (u & 3) * 32;
                            qkv[4096 + t + u * 256] = HalfKernels.pack(v[g], v[g + 1]);
                        }
                    }
                }
                // Sᵀ = K·Qᵀ per warp: key blocks kb, query tiles n, 8 d-slabs; stored at (kb·16 + row, w·16 + n·8 + c)
                for (int w = 0; w < 8; w++) {
                    for (int kb = 0; kb < 4; kb++) {
                        for (int n = 0; n < 2; n++) {
                            float[][] acc = new float[16][8];
                            for (int s = 0; s < 8; s++) {
                                mma(loadA(qkv, s * 2048 + kb * 512), qb[w][2 * s + n], acc);
                            }
                            store(acc, scores, kb * 16, w * 16 + n * 8, 128);
                        }
                    }
                }
                int left = to - j0;
                for (int t = 0; t < 256; t++) {
                    int warp = t >> 5, lane = t & 31;
                    int sq = warp * 16 + (lane >> 1), sh = (lane & 1) * 32, sBase = sh * 128 + sq;
                    float[] x = new float[32];
                    for (int i = 0; i < 32; i++) {
                        x[i] = sh + i < left ? scores[sBase + i * 128] : -3.0e38f;
                    }
                    if (pass == 0) {
                        float tileMax = m[t];
                        for (float xi : x) {
                            tileMax = Math.max(tileMax, xi);
                        }
                        float sum = 0f;
                        for (float xi : x) {
                            sum += (float) Math.exp(xi - tileMax);
                        }
                        l[t] = l[t] * (float) Math.exp(m[t] - tileMax) + sum;
                        m[t] = tileMax;
                    } else {
                        int pRow = (sh >> 4) * 1024 + sq * 8;
                        for (int i = 0; i < 32; i += 2) {
                            qkv[pRow + (i >> 4) * 1024 + ((i & 15) >> 1)] = HalfKernels.pack(
                                    (float) Math.exp(x[i] - m[t]) * inv[t], (float) Math.exp(x[i + 1] - m[t]) * inv[t]);
                        }
                    }
                }
                if (pass == 1) {
                    for (int w = 0; w < 8; w++) {
                        for (int s = 0; s < 4; s++) {
                            float[][] pa = loadA(qkv, s * 4096 + w * 512);
                            for (int n = 0; n < 16; n++) {
                                mma(pa, loadB(qkv, 16384 + s * 4096 + n * 256), o[w][n]);
                            }
                        }
                    }
                }
            }
            if (pass == 0) {
                float[] m2 = m.clone(), l2 = l.clone();
                for (int t = 0; t < 256; t++) {
                    float mm = Math.max(m2[t], m2[t ^ 1]);
                    float ll = l2[t] * (float) Math.exp(m2[t] - mm) + l2[t ^ 1] * (float) Math.exp(m2[t ^ 1] - mm);
                    m[t] = mm;
                    inv[t] = ll > 0f ? 1f / ll : 0f;
                }
            }
        }
        for (int w = 0; w < 8; w++) {
            for (int n = 0; n < 16; n++) {
                store(o[w][n], out, qBase + w * 16, col + n * 8, rowStride);
            }
        }
    }

    /** The 16×16 A operand ldmatrix reads at {@code byteOffset}: 16 rows of 16 halves, 32 bytes apart. */
    private static float[][] loadA(int[] tile, int byteOffset) {
        float[][] a = new float[16][16];
        for (int row = 0; row < 16; row++) {
            for (int c = 0; c < 16; c++) {
                a[row][c] = half(tile, byteOffset + row * 32 + c * 2);
            }
        }
        return a;
    }

    /** The 16×8 B operand ldmatrix.trans reads at {@code byteOffset}: [16 k][8 n] halves, row-major. */
    private static float[][] loadB(int[] tile, int byteOffset) {
        float[][] b = new float[16][8];
        for (int kk = 0; kk < 16; kk++) {
            for (int n = 0; n < 8; n++) {
                b[kk][n] = half(tile, byteOffset + kk * 16 + n * 2);
            }
        }
        return b;
    }

    private static float half(int[] tile, int byteOffset) {
        int word = tile[byteOffset >> 2];
        return Float.float16ToFloat((short) ((byteOffset & 2) == 0 ? word : word >>> 16));
    }

    /** acc[16][8] += a[16][16]·b[16][8] in fp32, as mma.sync m16n8k16 with f32 accumulation. */
    private static void mma(float[][] a, float[][] b, float[][] acc) {
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 8; j++) {
                float s = acc[i][j];
                for (int kk = 0; kk < 16; kk++) {
                    s += a[i][kk] * b[kk][j];
                }
                acc[i][j] = s;
            }
        }
    }

    /** mmaStore: acc[r][c] to y[(row + r)·ld + col + c]. */
    private static void store(float[][] acc, float[] y, int row, int col, int ld) {
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 8; j++) {
                y[(row + i) * ld + col + j] = acc[i][j];
            }
        }
    }

    private static double[] reference(float[] q, float[] k, float[] v, int i, int h, int heads, int from, int to,
                                      float scale) {
        double[] s = new double[to - from];
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            double dot = 0;
            for (int c = 0; c < D; c++) {
                dot += (double) q[(i * heads + h) * D + c] * k[(j * heads + h) * D + c];
            }
            s[j - from] = dot * scale;
            mx = Math.max(mx, s[j - from]);
        }
        double[] o = new double[D];
        double sum = 0;
        for (int j = from; j < to; j++) {
            double p = Math.exp(s[j - from] - mx);
            sum += p;
            for (int c = 0; c < D; c++) {
                o[c] += p * v[(j * heads + h) * D + c];
            }
        }
        for (int c = 0; c < D; c++) {
            o[c] /= sum;
        }
        return o;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
