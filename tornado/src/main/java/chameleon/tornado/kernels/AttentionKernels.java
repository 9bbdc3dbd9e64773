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

    /**
     * Same contract as {@link #attention} for d = 128 exactly (scale passed as a value), written so that
     * nothing lives in a run-time-indexed private array (those go to local memory: the reason
     * {@link #attentionTiled} runs at ~1.25 TFLOP/s): a work group of 128 threads owns 64 query rows of
     * one head; per tile of 16 keys it stages K (transposed, XOR-swizzled against bank conflicts) and V in
     * local memory, computes the 64×16 scores as 2×4 register tiles per thread (q pre-scaled, read from a
     * transposed local copy: 6 local loads per 8 FMAs), the online-softmax update (FlashAttention's
     * recurrence: running max m, sum l, one rescale per tile) by one thread per row, and P·V as 4×16
     * register tiles per thread (20 local loads per 64 FMAs). The output accumulators are 64 scalar
     * registers per thread. Global size ({@code ⌈lq/64⌉·128}, heads), local (128, 1); 48 KB of local
     * memory. Keys past {@code to} are zero rows scored −3e38; query rows past lq load a clamped row and
     * store nothing.
     */
    public static void attentionReg(KernelContext ctx, FloatArray q, FloatArray k, FloatArray v, FloatArray out,
                                    IntArray range, float scale, int lq, int heads) {
        int t = ctx.localIdx;
        int qBlock = ctx.groupIdx * 64;
        int h = ctx.groupIdy;
        int rowStride = heads * 128;
        // qs [128 d][64 rows] (pre-scaled q, transposed); ks [128 d][16 keys] transposed with key ^ (d & 15),
        // later reused for the scores/P [16 keys][64 rows] (0..1023), the rescale factors (1024..1087) and
        // the final row sums; vs [16 keys][128 d]. 32 + 8 + 8 KB = 48 KB.
        float[] qs = ctx.allocateFloatLocalArray(8192);
        float[] ks = ctx.allocateFloatLocalArray(2048);
        float[] vs = ctx.allocateFloatLocalArray(2048);
        int from = range.get(0);
        int to = range.get(1);
        // q tile: element e = r·128 + c (coalesced global read along c)
        for (int e = t; e < 8192; e += 128) {
            int r = e >> 7;
            int c = e & 127;
            int qi = qBlock + r < lq ? qBlock + r : lq - 1;
            qs[c * 64 + r] = q.get(qi * rowStride + h * 128 + c) * scale;
        }
        // S phase: rows sr, sr + 32; keys sk, sk + 4, sk + 8, sk + 12
        int sr = t >> 2;
        int sk = t & 3;
        // PV phase: rows pr + 16u (u < 4); d columns pd + 8w (w < 16)
        int pr = t >> 3;
        int pd = t & 7;
        float m = -3.0e38f;
        float l = 0f;
        float o0_0 = 0f; float o0_1 = 0f; float o0_2 = 0f; float o0_3 = 0f; float o0_4 = 0f; float o0_5 = 0f; float o0_6 = 0f; float o0_7 = 0f; float o0_8 = 0f; float o0_9 = 0f; float o0_10 = 0f; float o0_11 = 0f; float o0_12 = 0f; float o0_13 = 0f; float o0_14 = 0f; float o0_15 = 0f;
        float o1_0 = 0f; float o1_1 = 0f; float o1_2 = 0f; float o1_3 = 0f; float o1_4 = 0f; float o1_5 = 0f; float o1_6 = 0f; float o1_7 = 0f; float o1_8 = 0f; float o1_9 = 0f; float o1_10 = 0f; float o1_11 = 0f; float o1_12 = 0f; float o1_13 = 0f; float o1_14 = 0f; float o1_15 = 0f;
        float o2_0 = 0f; float o2_1 = 0f; float o2_2 = 0f; float o2_3 = 0f; float o2_4 = 0f; float o2_5 = 0f; float o2_6 = 0f; float o2_7 = 0f; float o2_8 = 0f; float o2_9 = 0f; float o2_10 = 0f; float o2_11 = 0f; float o2_12 = 0f; float o2_13 = 0f; float o2_14 = 0f; float o2_15 = 0f;
        float o3_0 = 0f; float o3_1 = 0f; float o3_2 = 0f; float o3_3 = 0f; float o3_4 = 0f; float o3_5 = 0f; float o3_6 = 0f; float o3_7 = 0f; float o3_8 = 0f; float o3_9 = 0f; float o3_10 = 0f; float o3_11 = 0f; float o3_12 = 0f; float o3_13 = 0f; float o3_14 = 0f; float o3_15 = 0f;
        for (int j0 = from; j0 < to; j0 += 16) {
            for (int e = t; e < 2048; e += 128) {
                int key = e >> 7;
                int c = e & 127;
                int j = j0 + key;
                float kv = 0f;
                float vv = 0f;
                if (j < to) {
                    int g = j * rowStride + h * 128 + c;
                    kv = k.get(g);
                    vv = v.get(g);
                }
                ks[c * 16 + (key ^ (c & 15))] = kv;
                vs[e] = vv;
            }
            ctx.localBarrier();
            float s00 = 0f; float s01 = 0f; float s02 = 0f; float s03 = 0f; float s10 = 0f; float s11 = 0f; float s12 = 0f; float s13 = 0f;
            for (int c = 0; c < 128; c++) {
                float q0 = qs[c * 64 + sr];
                float q1 = qs[c * 64 + sr + 32];
                int kb = c * 16;
                int sw = c & 15;
                float k0 = ks[kb + ((sk + 0) ^ sw)];
                float k1 = ks[kb + ((sk + 4) ^ sw)];
                float k2 = ks[kb + ((sk + 8) ^ sw)];
                float k3 = ks[kb + ((sk + 12) ^ sw)];
                s00 += q0 * k0; s01 += q0 * k1; s02 += q0 * k2; s03 += q0 * k3;
                s10 += q1 * k0; s11 += q1 * k1; s12 += q1 * k2; s13 += q1 * k3;
            }
            ctx.localBarrier();
            // scores → ks as [key][row]; keys past `to` score -3e38 (weight 0)
            int left = to - j0;
            ks[(sk + 0) * 64 + sr + 0] = sk + 0 < left ? s00 : -3.0e38f;
            ks[(sk + 4) * 64 + sr + 0] = sk + 4 < left ? s01 : -3.0e38f;
            ks[(sk + 8) * 64 + sr + 0] = sk + 8 < left ? s02 : -3.0e38f;
            ks[(sk + 12) * 64 + sr + 0] = sk + 12 < left ? s03 : -3.0e38f;
            ks[(sk + 0) * 64 + sr + 32] = sk + 0 < left ? s10 : -3.0e38f;
            ks[(sk + 4) * 64 + sr + 32] = sk + 4 < left ? s11 : -3.0e38f;
            ks[(sk + 8) * 64 + sr + 32] = sk + 8 < left ? s12 : -3.0e38f;
            ks[(sk + 12) * 64 + sr + 32] = sk + 12 < left ? s13 : -3.0e38f;
            ctx.localBarrier();
            if (t < 64) {
                float bm = m;
                for (int j = 0; j < 16; j++) {
                    bm = TornadoMath.max(bm, ks[j * 64 + t]);
                }
                float corr = TornadoMath.exp(m - bm);
                float sum = 0f;
                for (int j = 0; j < 16; j++) {
                    float p = TornadoMath.exp(ks[j * 64 + t] - bm);
                    ks[j * 64 + t] = p;
                    sum += p;
                }
                l = l * corr + sum;
                m = bm;
                ks[1024 + t] = corr;
            }
            ctx.localBarrier();
            float f0 = ks[1024 + pr + 0];
            float f1 = ks[1024 + pr + 16];
            float f2 = ks[1024 + pr + 32];
            float f3 = ks[1024 + pr + 48];
            o0_0 *= f0; o0_1 *= f0; o0_2 *= f0; o0_3 *= f0; o0_4 *= f0; o0_5 *= f0; o0_6 *= f0; o0_7 *= f0; o0_8 *= f0; o0_9 *= f0; o0_10 *= f0; o0_11 *= f0; o0_12 *= f0; o0_13 *= f0; o0_14 *= f0; o0_15 *= f0;
            o1_0 *= f1; o1_1 *= f1; o1_2 *= f1; o1_3 *= f1; o1_4 *= f1; o1_5 *= f1; o1_6 *= f1; o1_7 *= f1; o1_8 *= f1; o1_9 *= f1; o1_10 *= f1; o1_11 *= f1; o1_12 *= f1; o1_13 *= f1; o1_14 *= f1; o1_15 *= f1;
            o2_0 *= f2; o2_1 *= f2; o2_2 *= f2; o2_3 *= f2; o2_4 *= f2; o2_5 *= f2; o2_6 *= f2; o2_7 *= f2; o2_8 *= f2; o2_9 *= f2; o2_10 *= f2; o2_11 *= f2; o2_12 *= f2; o2_13 *= f2; o2_14 *= f2; o2_15 *= f2;
            o3_0 *= f3; o3_1 *= f3; o3_2 *= f3; o3_3 *= f3; o3_4 *= f3; o3_5 *= f3; o3_6 *= f3; o3_7 *= f3; o3_8 *= f3; o3_9 *= f3; o3_10 *= f3; o3_11 *= f3; o3_12 *= f3; o3_13 *= f3; o3_14 *= f3; o3_15 *= f3;
            for (int j = 0; j < 16; j++) {
                float p0 = ks[j * 64 + pr + 0];
                float p1 = ks[j * 64 + pr + 16];
                float p2 = ks[j * 64 + pr + 32];
                float p3 = ks[j * 64 + pr + 48];
                int vb = j * 128 + pd;
                float v0 = vs[vb + 0];
                float v1 = vs[vb + 8];
                float v2 = vs[vb + 16];
                float v3 = vs[vb + 24];
                float v4 = vs[vb + 32];
                float v5 = vs[vb + 40];
                float v6 = vs[vb + 48];
                float v7 = vs[vb + 56];
                float v8 = vs[vb + 64];
                float v9 = vs[vb + 72];
                float v10 = vs[vb + 80];
                float v11 = vs[vb + 88];
                float v12 = vs[vb + 96];
                float v13 = vs[vb + 104];
                float v14 = vs[vb + 112];
                float v15 = vs[vb + 120];
                o0_0 += p0 * v0; o0_1 += p0 * v1; o0_2 += p0 * v2; o0_3 += p0 * v3; o0_4 += p0 * v4; o0_5 += p0 * v5; o0_6 += p0 * v6; o0_7 += p0 * v7; o0_8 += p0 * v8; o0_9 += p0 * v9; o0_10 += p0 * v10; o0_11 += p0 * v11; o0_12 += p0 * v12; o0_13 += p0 * v13; o0_14 += p0 * v14; o0_15 += p0 * v15;
                o1_0 += p1 * v0; o1_1 += p1 * v1; o1_2 += p1 * v2; o1_3 += p1 * v3; o1_4 += p1 * v4; o1_5 += p1 * v5; o1_6 += p1 * v6; o1_7 += p1 * v7; o1_8 += p1 * v8; o1_9 += p1 * v9; o1_10 += p1 * v10; o1_11 += p1 * v11; o1_12 += p1 * v12; o1_13 += p1 * v13; o1_14 += p1 * v14; o1_15 += p1 * v15;
                o2_0 += p2 * v0; o2_1 += p2 * v1; o2_2 += p2 * v2; o2_3 += p2 * v3; o2_4 += p2 * v4; o2_5 += p2 * v5; o2_6 += p2 * v6; o2_7 += p2 * v7; o2_8 += p2 * v8; o2_9 += p2 * v9; o2_10 += p2 * v10; o2_11 += p2 * v11; o2_12 += p2 * v12; o2_13 += p2 * v13; o2_14 += p2 * v14; o2_15 += p2 * v15;
                o3_0 += p3 * v0; o3_1 += p3 * v1; o3_2 += p3 * v2; o3_3 += p3 * v3; o3_4 += p3 * v4; o3_5 += p3 * v5; o3_6 += p3 * v6; o3_7 += p3 * v7; o3_8 += p3 * v8; o3_9 += p3 * v9; o3_10 += p3 * v10; o3_11 += p3 * v11; o3_12 += p3 * v12; o3_13 += p3 * v13; o3_14 += p3 * v14; o3_15 += p3 * v15;
            }
            ctx.localBarrier();
        }
        if (t < 64) {
            ks[1024 + t] = l > 0f ? 1f / l : 0f;
        }
        ctx.localBarrier();
        int i0 = qBlock + pr + 0;
        if (i0 < lq) {
            float inv = ks[1024 + pr + 0];
            int ob = i0 * rowStride + h * 128 + pd;
            out.set(ob + 0, o0_0 * inv);
            out.set(ob + 8, o0_1 * inv);
            out.set(ob + 16, o0_2 * inv);
            out.set(ob + 24, o0_3 * inv);
            out.set(ob + 32, o0_4 * inv);
            out.set(ob + 40, o0_5 * inv);
            out.set(ob + 48, o0_6 * inv);
            out.set(ob + 56, o0_7 * inv);
            out.set(ob + 64, o0_8 * inv);
            out.set(ob + 72, o0_9 * inv);
            out.set(ob + 80, o0_10 * inv);
            out.set(ob + 88, o0_11 * inv);
            out.set(ob + 96, o0_12 * inv);
            out.set(ob + 104, o0_13 * inv);
            out.set(ob + 112, o0_14 * inv);
            out.set(ob + 120, o0_15 * inv);
        }
        int i1 = qBlock + pr + 16;
        if (i1 < lq) {
            float inv = ks[1024 + pr + 16];
            int ob = i1 * rowStride + h * 128 + pd;
            out.set(ob + 0, o1_0 * inv);
            out.set(ob + 8, o1_1 * inv);
            out.set(ob + 16, o1_2 * inv);
            out.set(ob + 24, o1_3 * inv);
            out.set(ob + 32, o1_4 * inv);
            out.set(ob + 40, o1_5 * inv);
            out.set(ob + 48, o1_6 * inv);
            out.set(ob + 56, o1_7 * inv);
            out.set(ob + 64, o1_8 * inv);
            out.set(ob + 72, o1_9 * inv);
            out.set(ob + 80, o1_10 * inv);
            out.set(ob + 88, o1_11 * inv);
            out.set(ob + 96, o1_12 * inv);
            out.set(ob + 104, o1_13 * inv);
            out.set(ob + 112, o1_14 * inv);
            out.set(ob + 120, o1_15 * inv);
        }
        int i2 = qBlock + pr + 32;
        if (i2 < lq) {
            float inv = ks[1024 + pr + 32];
            int ob = i2 * rowStride + h * 128 + pd;
            out.set(ob + 0, o2_0 * inv);
            out.set(ob + 8, o2_1 * inv);
            out.set(ob + 16, o2_2 * inv);
            out.set(ob + 24, o2_3 * inv);
            out.set(ob + 32, o2_4 * inv);
            out.set(ob + 40, o2_5 * inv);
            out.set(ob + 48, o2_6 * inv);
            out.set(ob + 56, o2_7 * inv);
            out.set(ob + 64, o2_8 * inv);
            out.set(ob + 72, o2_9 * inv);
            out.set(ob + 80, o2_10 * inv);
            out.set(ob + 88, o2_11 * inv);
            out.set(ob + 96, o2_12 * inv);
            out.set(ob + 104, o2_13 * inv);
            out.set(ob + 112, o2_14 * inv);
            out.set(ob + 120, o2_15 * inv);
        }
        int i3 = qBlock + pr + 48;
        if (i3 < lq) {
            float inv = ks[1024 + pr + 48];
            int ob = i3 * rowStride + h * 128 + pd;
            out.set(ob + 0, o3_0 * inv);
            out.set(ob + 8, o3_1 * inv);
            out.set(ob + 16, o3_2 * inv);
            out.set(ob + 24, o3_3 * inv);
            out.set(ob + 32, o3_4 * inv);
            out.set(ob + 40, o3_5 * inv);
            out.set(ob + 48, o3_6 * inv);
            out.set(ob + 56, o3_7 * inv);
            out.set(ob + 64, o3_8 * inv);
            out.set(ob + 72, o3_9 * inv);
            out.set(ob + 80, o3_10 * inv);
            out.set(ob + 88, o3_11 * inv);
            out.set(ob + 96, o3_12 * inv);
            out.set(ob + 104, o3_13 * inv);
            out.set(ob + 112, o3_14 * inv);
            out.set(ob + 120, o3_15 * inv);
        }
    }
}
