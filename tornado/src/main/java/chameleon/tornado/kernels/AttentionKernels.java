package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Multi-head attention without mask, with an online softmax (FlashAttention's recurrence): each
 * (query row, head) streams over the keys once keeping the running max m and denominator l, and its
 * output row is the unnormalised accumulator, rescaled by exp(m_old − m_new) as the max grows. No
 * score matrix is materialised. Three variants (selected in {@code OpPlans.Attention}):
 * <ul>
 *   <li>{@link #attention}: the first slice, one thread per (query, head) that read-modify-writes its
 *       output row in global memory for every key (slow; kept as the reference and for d &gt; 128).</li>
 *   <li>{@link #attentionPrivate}: {@code @Parallel}, one thread per (query, head) with q, the
 *       accumulator and a block of {@value #BLOCK} scores in private arrays; one max/exp rescale per
 *       block. Global traffic: reading q, k, v and writing out once.</li>
 *   <li>{@link #attentionTiled}: {@link KernelContext}, a work group of {@value #BQ} threads handles one
 *       head × {@value #BQ} query rows, staging {@value #BK}-key tiles of K and V in local memory
 *       (barriers), each thread owning one query row's private accumulator.</li>
 * </ul>
 * The private-array variants hold at most {@value #MAX_D} floats per row: head_dim d ≤ {@value #MAX_D}.
 */
public final class AttentionKernels {
    /** Largest head_dim of the private-array kernels (private arrays need a constant size). */
    public static final int MAX_D = 128;
    /** Keys scored per max/exp update in {@link #attentionPrivate}. */
    public static final int BLOCK = 16;
    /** Default query rows (threads) per work group in {@link #attentionTiled} (its {@code bq} argument). */
    public static final int BQ = 64;
    /** Keys per local-memory tile in {@link #attentionTiled}. */
    public static final int BK = 32;

    private AttentionKernels() {
    }

    /**
     * out[i, h] = softmax_j(q[i, h]·k[j, h]·scale)·v[j, h] over j in {@code [range[0], range[1])}.
     *
     * @param q     [lq, heads, d]
     * @param k     [cap, heads, d]
     * @param v     [cap, heads, d]
     * @param out   [lq, heads, d]
     * @param range {from, to} key rows of this execution
     * @param scale 1 element: the score scale (1/√d)
     */
    public static void attention(FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray range,
                                 FloatArray scale, int lq, int heads, int d) {
        for (@Parallel int i = 0; i < lq; i++) {
            for (@Parallel int h = 0; h < heads; h++) {
                int from = range.get(0);
                int to = range.get(1);
                float sc = scale.get(0);
                int qo = (i * heads + h) * d;
                for (int c = 0; c < d; c++) {
                    out.set(qo + c, 0f);
                }
                float m = -3.0e38f;
                float l = 0f;
                for (int j = from; j < to; j++) {
                    int ko = (j * heads + h) * d;
                    float s = 0f;
                    for (int c = 0; c < d; c++) {
                        s += q.get(qo + c) * k.get(ko + c);
                    }
                    s = s * sc;
                    float mNew = TornadoMath.max(m, s);
                    float correction = TornadoMath.exp(m - mNew);
                    float p = TornadoMath.exp(s - mNew);
                    l = l * correction + p;
                    for (int c = 0; c < d; c++) {
                        out.set(qo + c, out.get(qo + c) * correction + p * v.get(ko + c));
                    }
                    m = mNew;
                }
                float inv = 1f / l;
                for (int c = 0; c < d; c++) {
                    out.set(qo + c, out.get(qo + c) * inv);
                }
            }
        }
    }

    /**
     * Same contract as {@link #attention}, d ≤ {@value #MAX_D}: q row, accumulator and a block of
     * {@value #BLOCK} scores in private arrays, one online-softmax rescale per block of keys.
     */
    public static void attentionPrivate(FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray range,
                                        FloatArray scale, int lq, int heads, int d) {
        for (@Parallel int i = 0; i < lq; i++) {
            for (@Parallel int h = 0; h < heads; h++) {
                float[] qr = new float[128];
                float[] acc = new float[128];
                float[] sb = new float[16];
                int from = range.get(0);
                int to = range.get(1);
                float sc = scale.get(0);
                int qo = (i * heads + h) * d;
                for (int c = 0; c < d; c++) {
                    qr[c] = q.get(qo + c);
                    acc[c] = 0f;
                }
                float m = -3.0e38f;
                float l = 0f;
                for (int j0 = from; j0 < to; j0 += 16) {
                    int n = TornadoMath.min(16, to - j0);
                    float bm = m;
                    for (int t = 0; t < n; t++) {
                        int ko = ((j0 + t) * heads + h) * d;
                        float dot = 0f;
                        for (int c = 0; c < d; c++) {
                            dot += qr[c] * k.get(ko + c);
                        }
                        float s = dot * sc;
                        sb[t] = s;
                        bm = TornadoMath.max(bm, s);
                    }
                    float correction = TornadoMath.exp(m - bm);
                    l = l * correction;
                    for (int c = 0; c < d; c++) {
                        acc[c] = acc[c] * correction;
                    }
                    for (int t = 0; t < n; t++) {
                        float p = TornadoMath.exp(sb[t] - bm);
                        l += p;
                        int vo = ((j0 + t) * heads + h) * d;
                        for (int c = 0; c < d; c++) {
                            acc[c] += p * v.get(vo + c);
                        }
                    }
                    m = bm;
                }
                float inv = 1f / l;
                for (int c = 0; c < d; c++) {
                    out.set(qo + c, acc[c] * inv);
                }
            }
        }
    }

    /**
     * Same contract as {@link #attention}, d ≤ {@value #MAX_D}, as a {@link KernelContext} kernel:
     * global size ({@code ⌈lq/bq⌉·bq}, heads), local size ({@code bq}, 1) — bq must equal the local
     * size. Work group (gx, h) owns query rows {@code gx·bq …} of head h; per tile of {@value #BK} keys its threads load K and V rows
     * [BK, d] into local memory (coalesced), then each thread scores its query against the tile (4 keys
     * per pass over d) and updates its private accumulator with one rescale per tile and 4 keys per pass
     * over d. Threads past lq only help load (they read a valid q row and write nothing).
     */
    public static void attentionTiled(KernelContext ctx, FloatArray q, FloatArray k, FloatArray v, FloatArray out,
                                      IntArray range, FloatArray scale, int lq, int heads, int d, int bq) {
        int tid = ctx.localIdx;
        int i = ctx.groupIdx * bq + tid;
        int h = ctx.groupIdy;
        float[] ks = ctx.allocateFloatLocalArray(32 * 128);
        float[] vs = ctx.allocateFloatLocalArray(32 * 128);
        float[] qr = new float[128];
        float[] acc = new float[128];
        float[] sb = new float[32];
        int from = range.get(0);
        int to = range.get(1);
        float sc = scale.get(0);
        int qi = TornadoMath.min(i, lq - 1);
        int qo = (qi * heads + h) * d;
        for (int c = 0; c < d; c++) {
            qr[c] = q.get(qo + c);
            acc[c] = 0f;
        }
        float m = -3.0e38f;
        float l = 0f;
        int tileSize = 32 * d;
        for (int j0 = from; j0 < to; j0 += 32) {
            for (int e = tid; e < tileSize; e += bq) {
                int t = e / d;
                int c = e - t * d;
                int j = j0 + t;
                float kv = 0f;
                float vv = 0f;
                if (j < to) {
                    int o = (j * heads + h) * d + c;
                    kv = k.get(o);
                    vv = v.get(o);
                }
                ks[t * 128 + c] = kv;
                vs[t * 128 + c] = vv;
            }
            ctx.localBarrier();
            // Scores of the 32 keys, 4 at a time (one private q load per 4 FMAs); keys past `to` are
            // zero rows in the tile and get a score of -3e38, so their weight exp(-3e38 - bm) is 0.
            float bm = m;
            for (int t = 0; t < 32; t += 4) {
                float s0 = 0f;
                float s1 = 0f;
                float s2 = 0f;
                float s3 = 0f;
                int b0 = t * 128;
                for (int c = 0; c < d; c++) {
                    float qc = qr[c];
                    s0 += qc * ks[b0 + c];
                    s1 += qc * ks[b0 + 128 + c];
                    s2 += qc * ks[b0 + 256 + c];
                    s3 += qc * ks[b0 + 384 + c];
                }
                int left = to - j0 - t;
                s0 = left > 0 ? s0 * sc : -3.0e38f;
                s1 = left > 1 ? s1 * sc : -3.0e38f;
                s2 = left > 2 ? s2 * sc : -3.0e38f;
                s3 = left > 3 ? s3 * sc : -3.0e38f;
                sb[t] = s0;
                sb[t + 1] = s1;
                sb[t + 2] = s2;
                sb[t + 3] = s3;
                bm = TornadoMath.max(bm, TornadoMath.max(TornadoMath.max(s0, s1), TornadoMath.max(s2, s3)));
            }
            float correction = TornadoMath.exp(m - bm);
            l = l * correction;
            for (int c = 0; c < d; c++) {
                acc[c] = acc[c] * correction;
            }
            // acc += P·V, 4 keys at a time (one private load/store of acc[c] per 4 FMAs).
            for (int t = 0; t < 32; t += 4) {
                float p0 = TornadoMath.exp(sb[t] - bm);
                float p1 = TornadoMath.exp(sb[t + 1] - bm);
                float p2 = TornadoMath.exp(sb[t + 2] - bm);
                float p3 = TornadoMath.exp(sb[t + 3] - bm);
                l += (p0 + p1) + (p2 + p3);
                int b0 = t * 128;
                for (int c = 0; c < d; c++) {
                    acc[c] += p0 * vs[b0 + c] + p1 * vs[b0 + 128 + c] + p2 * vs[b0 + 256 + c] + p3 * vs[b0 + 384 + c];
                }
            }
            m = bm;
            ctx.localBarrier();
        }
        if (i < lq) {
            float inv = 1f / l;
            int oo = (i * heads + h) * d;
            for (int c = 0; c < d; c++) {
                out.set(oo + c, acc[c] * inv);
            }
        }
    }
}
