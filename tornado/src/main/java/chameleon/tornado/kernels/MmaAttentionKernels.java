package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.enums.MMAShape;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Multi-head attention {@code out = softmax(q·kᵀ·scale)·v} (head_dim 128) on tensor cores through
 * {@link KernelContext}'s m16n8k16 MMA (fp16 operands, fp32 accumulation). TornadoVM's MMA accumulators are
 * opaque register tuples: no lane can read or rescale one element, and {@code mmaStore} writes only to global
 * memory. So FlashAttention's running rescale of the output, {@code o ← o·exp(m_old − m_new) + p·v}, is not
 * expressible; this kernel makes two passes over the keys instead:
 * <ol>
 *   <li>scores only: the row max m and the denominator l = Σ exp(s − m) of every query row (online, per
 *       thread, exact);</li>
 *   <li>scores again, p = exp(s − m)/l (final, so ≤ 1 and never rescaled) → fp16 → {@code o += p·v} in MMA
 *       accumulators that stay in registers for the whole window.</li>
 * </ol>
 * The second q·kᵀ costs a third more MMA work than one pass would; the scores reach the softmax threads
 * through a global scratch ({@code scores}, L1/L2-resident: each warp reads back only what it stored).
 * The scores are computed transposed, {@code Sᵀ = K·Qᵀ}, so that the stored tile is [key][query] and a
 * thread walking one query's keys reads along a column: consecutive lanes hold consecutive queries,
 * and every read is coalesced.
 * <p>
 * Work group: 256 threads (8 warps) own 128 query rows of one head (warp w: queries 16w … 16w + 15);
 * keys go in tiles of 64. Local memory, 34 KB: {@code qkv} holds Qᵀ while its fragments are loaded into
 * registers, then each tile's K (A operand, [8 d-slabs][64 keys][16 halves]) and V (B operand,
 * [4 key-slabs][16 d-tiles][16 keys][8 halves]); P (A operand, [4 key-slabs][128 queries][16 halves]) is
 * written over K once the score MMAs are done. fp16 elements are packed in pairs into ints, as ldmatrix
 * reads them (see {@link MmaGemmKernels} for the operand layouts).
 */
public final class MmaAttentionKernels {
    /** Query rows of one work group. */
    public static final int ROWS = 128;
    /** Keys of one tile. */
    public static final int KEYS = 64;
    /** Threads of one work group. */
    public static final int THREADS = 256;

    private MmaAttentionKernels() {
    }

    /**
     * out[i, h] = softmax_j(q[i, h]·k[j, h]·scale)·v[j, h] over j in {@code [range[0], range[1])}, for
     * {@code ROWS}-row blocks of queries. Global size ({@code lq/128·256}, heads), local (256, 1); lq is a
     * multiple of 128 (the rows of out are all written).
     *
     * @param q      [lq, heads, 128]
     * @param k      [rows, heads, 128] (any rows; only the window is read)
     * @param v      [rows, heads, 128]
     * @param out    [lq, heads, 128]
     * @param range  {from, to}: the key rows of this execution
     * @param scores scratch [lq/128 · heads · 64, 128]: one work group's Sᵀ tile at rows (block·heads + h)·64
     */
    public static void attention(KernelContext ctx, FloatArray q, FloatArray k, FloatArray v, FloatArray out,
                                 IntArray range, FloatArray scores, float scale, int heads) {
        int t = ctx.localIdx;
        int lane = t & 31;
        int warp = t >> 5;
        int qBase = ctx.groupIdx * 128;
        int h = ctx.groupIdy;
        int rowStride = heads * 128;
        int col = h * 128;
        int[] qkv = ctx.allocateIntLocalArray(8192);
        float[] stats = ctx.allocateFloatLocalArray(512);
        int from = range.get(0);
        int to = range.get(1);
        // Qᵀ (pre-scaled) as B tiles [8 d-slabs][16 query tiles][16 d][8 queries]: int e holds queries
        // 8·n + 2·pp and + 1 at d = 16·s + dd
        for (int e = t; e < 8192; e += 256) {
            int s = e >> 10;
            int n = (e >> 6) & 15;
            int dd = (e >> 2) & 15;
            int pp = e & 3;
            int g = (qBase + n * 8 + 2 * pp) * rowStride + col + s * 16 + dd;
            qkv[e] = HalfKernels.pack(q.get(g) * scale, q.get(g + rowStride) * scale);
        }
        ctx.localBarrier();
        // this warp's two query tiles of every d-slab, in registers for both passes
        int qOff = warp * 512;
        HalfFloat[] qb0_0 = ctx.mmaLoadB(qkv, 16, 0 + qOff);
        HalfFloat[] qb0_1 = ctx.mmaLoadB(qkv, 16, 256 + qOff);
        HalfFloat[] qb1_0 = ctx.mmaLoadB(qkv, 16, 4096 + qOff);
        HalfFloat[] qb1_1 = ctx.mmaLoadB(qkv, 16, 4352 + qOff);
        HalfFloat[] qb2_0 = ctx.mmaLoadB(qkv, 16, 8192 + qOff);
        HalfFloat[] qb2_1 = ctx.mmaLoadB(qkv, 16, 8448 + qOff);
        HalfFloat[] qb3_0 = ctx.mmaLoadB(qkv, 16, 12288 + qOff);
        HalfFloat[] qb3_1 = ctx.mmaLoadB(qkv, 16, 12544 + qOff);
        HalfFloat[] qb4_0 = ctx.mmaLoadB(qkv, 16, 16384 + qOff);
        HalfFloat[] qb4_1 = ctx.mmaLoadB(qkv, 16, 16640 + qOff);
        HalfFloat[] qb5_0 = ctx.mmaLoadB(qkv, 16, 20480 + qOff);
        HalfFloat[] qb5_1 = ctx.mmaLoadB(qkv, 16, 20736 + qOff);
        HalfFloat[] qb6_0 = ctx.mmaLoadB(qkv, 16, 24576 + qOff);
        HalfFloat[] qb6_1 = ctx.mmaLoadB(qkv, 16, 24832 + qOff);
        HalfFloat[] qb7_0 = ctx.mmaLoadB(qkv, 16, 28672 + qOff);
        HalfFloat[] qb7_1 = ctx.mmaLoadB(qkv, 16, 28928 + qOff);
        ctx.localBarrier();
        // Sᵀ tile of this warp: rows (keys) sRow …, columns (queries) sCol … of the scratch
        int sRow = (ctx.groupIdx * heads + h) * 64;
        int sCol = warp * 16;
        // softmax thread: query sq of the block, keys sh … sh + 31 of each tile
        int sq = warp * 16 + (lane >> 1);
        int sh = (lane & 1) * 32;
        int sBase = (sRow + sh) * 128 + sq;
        int pOff = warp * 512;
        float m = -3.0e38f;
        float l = 0f;
        float inv = 0f;
        float[] o0 = ctx.mmaFragment(0f); float[] o1 = ctx.mmaFragment(0f); float[] o2 = ctx.mmaFragment(0f); float[] o3 = ctx.mmaFragment(0f); float[] o4 = ctx.mmaFragment(0f); float[] o5 = ctx.mmaFragment(0f); float[] o6 = ctx.mmaFragment(0f); float[] o7 = ctx.mmaFragment(0f);
        float[] o8 = ctx.mmaFragment(0f); float[] o9 = ctx.mmaFragment(0f); float[] o10 = ctx.mmaFragment(0f); float[] o11 = ctx.mmaFragment(0f); float[] o12 = ctx.mmaFragment(0f); float[] o13 = ctx.mmaFragment(0f); float[] o14 = ctx.mmaFragment(0f); float[] o15 = ctx.mmaFragment(0f);
        for (int pass = 0; pass < 2; pass++) {
            for (int j0 = from; j0 < to; j0 += 64) {
                // K tile as A operand [8 d-slabs][64 keys][16 d]; keys past `to` are 0 (their weight is 0)
                for (int e = t; e < 4096; e += 256) {
                    int j = j0 + ((e >> 3) & 63);
                    int packed = 0;
                    if (j < to) {
                        int g = j * rowStride + col + (e >> 9) * 16 + 2 * (e & 7);
                        packed = HalfKernels.pack(k.get(g), k.get(g + 1));
                    }
                    qkv[e] = packed;
                }
                if (pass == 1) {
                    // V tile as B operand [4 key-slabs][16 d-tiles][16 keys][8 d]
                    for (int e = t; e < 4096; e += 256) {
                        int j = j0 + (e >> 10) * 16 + ((e >> 2) & 15);
                        int packed = 0;
                        if (j < to) {
                            int g = j * rowStride + col + ((e >> 6) & 15) * 8 + 2 * (e & 3);
                            packed = HalfKernels.pack(v.get(g), v.get(g + 1));
                        }
                        qkv[4096 + e] = packed;
                    }
                }
                ctx.localBarrier();
            float[] s0_0 = ctx.mmaFragment(0f); float[] s0_1 = ctx.mmaFragment(0f);
            float[] s1_0 = ctx.mmaFragment(0f); float[] s1_1 = ctx.mmaFragment(0f);
            float[] s2_0 = ctx.mmaFragment(0f); float[] s2_1 = ctx.mmaFragment(0f);
            float[] s3_0 = ctx.mmaFragment(0f); float[] s3_1 = ctx.mmaFragment(0f);
            HalfFloat[] k0 = ctx.mmaLoadA(qkv, 16, 0);
            HalfFloat[] k1 = ctx.mmaLoadA(qkv, 16, 512);
            HalfFloat[] k2 = ctx.mmaLoadA(qkv, 16, 1024);
            HalfFloat[] k3 = ctx.mmaLoadA(qkv, 16, 1536);
            s0_0 = ctx.mma(k0, qb0_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb0_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb0_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb0_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb0_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb0_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb0_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb0_1, s3_1, MMAShape.M16N8K16);
            k0 = ctx.mmaLoadA(qkv, 16, 2048);
            k1 = ctx.mmaLoadA(qkv, 16, 2560);
            k2 = ctx.mmaLoadA(qkv, 16, 3072);
            k3 = ctx.mmaLoadA(qkv, 16, 3584);
            s0_0 = ctx.mma(k0, qb1_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb1_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb1_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb1_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb1_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb1_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb1_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb1_1, s3_1, MMAShape.M16N8K16);
            k0 = ctx.mmaLoadA(qkv, 16, 4096);
            k1 = ctx.mmaLoadA(qkv, 16, 4608);
            k2 = ctx.mmaLoadA(qkv, 16, 5120);
            k3 = ctx.mmaLoadA(qkv, 16, 5632);
            s0_0 = ctx.mma(k0, qb2_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb2_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb2_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb2_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb2_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb2_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb2_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb2_1, s3_1, MMAShape.M16N8K16);
            k0 = ctx.mmaLoadA(qkv, 16, 6144);
            k1 = ctx.mmaLoadA(qkv, 16, 6656);
            k2 = ctx.mmaLoadA(qkv, 16, 7168);
            k3 = ctx.mmaLoadA(qkv, 16, 7680);
            s0_0 = ctx.mma(k0, qb3_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb3_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb3_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb3_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb3_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb3_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb3_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb3_1, s3_1, MMAShape.M16N8K16);
            k0 = ctx.mmaLoadA(qkv, 16, 8192);
            k1 = ctx.mmaLoadA(qkv, 16, 8704);
            k2 = ctx.mmaLoadA(qkv, 16, 9216);
            k3 = ctx.mmaLoadA(qkv, 16, 9728);
            s0_0 = ctx.mma(k0, qb4_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb4_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb4_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb4_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb4_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb4_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb4_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb4_1, s3_1, MMAShape.M16N8K16);
            k0 = ctx.mmaLoadA(qkv, 16, 10240);
            k1 = ctx.mmaLoadA(qkv, 16, 10752);
            k2 = ctx.mmaLoadA(qkv, 16, 11264);
            k3 = ctx.mmaLoadA(qkv, 16, 11776);
            s0_0 = ctx.mma(k0, qb5_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb5_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb5_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb5_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb5_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb5_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb5_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb5_1, s3_1, MMAShape.M16N8K16);
            k0 = ctx.mmaLoadA(qkv, 16, 12288);
            k1 = ctx.mmaLoadA(qkv, 16, 12800);
            k2 = ctx.mmaLoadA(qkv, 16, 13312);
            k3 = ctx.mmaLoadA(qkv, 16, 13824);
            s0_0 = ctx.mma(k0, qb6_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb6_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb6_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb6_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb6_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb6_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb6_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb6_1, s3_1, MMAShape.M16N8K16);
            k0 = ctx.mmaLoadA(qkv, 16, 14336);
            k1 = ctx.mmaLoadA(qkv, 16, 14848);
            k2 = ctx.mmaLoadA(qkv, 16, 15360);
            k3 = ctx.mmaLoadA(qkv, 16, 15872);
            s0_0 = ctx.mma(k0, qb7_0, s0_0, MMAShape.M16N8K16);
            s0_1 = ctx.mma(k0, qb7_1, s0_1, MMAShape.M16N8K16);
            s1_0 = ctx.mma(k1, qb7_0, s1_0, MMAShape.M16N8K16);
            s1_1 = ctx.mma(k1, qb7_1, s1_1, MMAShape.M16N8K16);
            s2_0 = ctx.mma(k2, qb7_0, s2_0, MMAShape.M16N8K16);
            s2_1 = ctx.mma(k2, qb7_1, s2_1, MMAShape.M16N8K16);
            s3_0 = ctx.mma(k3, qb7_0, s3_0, MMAShape.M16N8K16);
            s3_1 = ctx.mma(k3, qb7_1, s3_1, MMAShape.M16N8K16);
            ctx.mmaStore(s0_0, scores, sRow + 0, sCol + 0, 128);
            ctx.mmaStore(s0_1, scores, sRow + 0, sCol + 8, 128);
            ctx.mmaStore(s1_0, scores, sRow + 16, sCol + 0, 128);
            ctx.mmaStore(s1_1, scores, sRow + 16, sCol + 8, 128);
            ctx.mmaStore(s2_0, scores, sRow + 32, sCol + 0, 128);
            ctx.mmaStore(s2_1, scores, sRow + 32, sCol + 8, 128);
            ctx.mmaStore(s3_0, scores, sRow + 48, sCol + 0, 128);
            ctx.mmaStore(s3_1, scores, sRow + 48, sCol + 8, 128);
                ctx.localBarrier();
                int left = to - j0;
                if (pass == 0) {
                    float tileMax = m;
                    for (int i = 0; i < 32; i++) {
                        if (sh + i < left) {
                            tileMax = TornadoMath.max(tileMax, scores.get(sBase + i * 128));
                        }
                    }
                    float sum = 0f;
                    for (int i = 0; i < 32; i++) {
                        if (sh + i < left) {
                            sum += TornadoMath.exp(scores.get(sBase + i * 128) - tileMax);
                        }
                    }
                    l = l * TornadoMath.exp(m - tileMax) + sum;
                    m = tileMax;
                } else {
                    // P over K: [4 key-slabs][128 queries][16 keys], keys sh + i, sh + i + 1 in one int
                    for (int i = 0; i < 32; i += 2) {
                        float p0 = sh + i < left ? TornadoMath.exp(scores.get(sBase + i * 128) - m) * inv : 0f;
                        float p1 = sh + i + 1 < left ? TornadoMath.exp(scores.get(sBase + (i + 1) * 128) - m) * inv : 0f;
                        int key = sh + i;
                        qkv[(key >> 4) * 1024 + sq * 8 + ((key & 15) >> 1)] = HalfKernels.pack(p0, p1);
                    }
                    ctx.localBarrier();
            HalfFloat[] pa = ctx.mmaLoadA(qkv, 16, 0 + pOff);
            o0 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 16384), o0, MMAShape.M16N8K16);
            o1 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 16640), o1, MMAShape.M16N8K16);
            o2 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 16896), o2, MMAShape.M16N8K16);
            o3 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 17152), o3, MMAShape.M16N8K16);
            o4 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 17408), o4, MMAShape.M16N8K16);
            o5 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 17664), o5, MMAShape.M16N8K16);
            o6 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 17920), o6, MMAShape.M16N8K16);
            o7 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 18176), o7, MMAShape.M16N8K16);
            o8 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 18432), o8, MMAShape.M16N8K16);
            o9 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 18688), o9, MMAShape.M16N8K16);
            o10 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 18944), o10, MMAShape.M16N8K16);
            o11 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 19200), o11, MMAShape.M16N8K16);
            o12 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 19456), o12, MMAShape.M16N8K16);
            o13 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 19712), o13, MMAShape.M16N8K16);
            o14 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 19968), o14, MMAShape.M16N8K16);
            o15 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 20224), o15, MMAShape.M16N8K16);
            pa = ctx.mmaLoadA(qkv, 16, 4096 + pOff);
            o0 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 20480), o0, MMAShape.M16N8K16);
            o1 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 20736), o1, MMAShape.M16N8K16);
            o2 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 20992), o2, MMAShape.M16N8K16);
            o3 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 21248), o3, MMAShape.M16N8K16);
            o4 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 21504), o4, MMAShape.M16N8K16);
            o5 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 21760), o5, MMAShape.M16N8K16);
            o6 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 22016), o6, MMAShape.M16N8K16);
            o7 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 22272), o7, MMAShape.M16N8K16);
            o8 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 22528), o8, MMAShape.M16N8K16);
            o9 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 22784), o9, MMAShape.M16N8K16);
            o10 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 23040), o10, MMAShape.M16N8K16);
            o11 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 23296), o11, MMAShape.M16N8K16);
            o12 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 23552), o12, MMAShape.M16N8K16);
            o13 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 23808), o13, MMAShape.M16N8K16);
            o14 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 24064), o14, MMAShape.M16N8K16);
            o15 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 24320), o15, MMAShape.M16N8K16);
            pa = ctx.mmaLoadA(qkv, 16, 8192 + pOff);
            o0 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 24576), o0, MMAShape.M16N8K16);
            o1 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 24832), o1, MMAShape.M16N8K16);
            o2 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 25088), o2, MMAShape.M16N8K16);
            o3 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 25344), o3, MMAShape.M16N8K16);
            o4 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 25600), o4, MMAShape.M16N8K16);
            o5 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 25856), o5, MMAShape.M16N8K16);
            o6 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 26112), o6, MMAShape.M16N8K16);
            o7 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 26368), o7, MMAShape.M16N8K16);
            o8 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 26624), o8, MMAShape.M16N8K16);
            o9 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 26880), o9, MMAShape.M16N8K16);
            o10 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 27136), o10, MMAShape.M16N8K16);
            o11 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 27392), o11, MMAShape.M16N8K16);
            o12 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 27648), o12, MMAShape.M16N8K16);
            o13 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 27904), o13, MMAShape.M16N8K16);
            o14 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 28160), o14, MMAShape.M16N8K16);
            o15 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 28416), o15, MMAShape.M16N8K16);
            pa = ctx.mmaLoadA(qkv, 16, 12288 + pOff);
            o0 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 28672), o0, MMAShape.M16N8K16);
            o1 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 28928), o1, MMAShape.M16N8K16);
            o2 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 29184), o2, MMAShape.M16N8K16);
            o3 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 29440), o3, MMAShape.M16N8K16);
            o4 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 29696), o4, MMAShape.M16N8K16);
            o5 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 29952), o5, MMAShape.M16N8K16);
            o6 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 30208), o6, MMAShape.M16N8K16);
            o7 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 30464), o7, MMAShape.M16N8K16);
            o8 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 30720), o8, MMAShape.M16N8K16);
            o9 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 30976), o9, MMAShape.M16N8K16);
            o10 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 31232), o10, MMAShape.M16N8K16);
            o11 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 31488), o11, MMAShape.M16N8K16);
            o12 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 31744), o12, MMAShape.M16N8K16);
            o13 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 32000), o13, MMAShape.M16N8K16);
            o14 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 32256), o14, MMAShape.M16N8K16);
            o15 = ctx.mma(pa, ctx.mmaLoadB(qkv, 16, 32512), o15, MMAShape.M16N8K16);
                }
                ctx.localBarrier();
            }
            if (pass == 0) {
                // the two threads of a query row merge their (m, l)
                stats[t] = m;
                stats[256 + t] = l;
                ctx.localBarrier();
                float m2 = stats[t ^ 1];
                float l2 = stats[256 + (t ^ 1)];
                float mm = TornadoMath.max(m, m2);
                float ll = l * TornadoMath.exp(m - mm) + l2 * TornadoMath.exp(m2 - mm);
                m = mm;
                inv = ll > 0f ? 1f / ll : 0f;
            }
        }
        ctx.mmaStore(o0, out, qBase + warp * 16, col + 0, rowStride);
        ctx.mmaStore(o1, out, qBase + warp * 16, col + 8, rowStride);
        ctx.mmaStore(o2, out, qBase + warp * 16, col + 16, rowStride);
        ctx.mmaStore(o3, out, qBase + warp * 16, col + 24, rowStride);
        ctx.mmaStore(o4, out, qBase + warp * 16, col + 32, rowStride);
        ctx.mmaStore(o5, out, qBase + warp * 16, col + 40, rowStride);
        ctx.mmaStore(o6, out, qBase + warp * 16, col + 48, rowStride);
        ctx.mmaStore(o7, out, qBase + warp * 16, col + 56, rowStride);
        ctx.mmaStore(o8, out, qBase + warp * 16, col + 64, rowStride);
        ctx.mmaStore(o9, out, qBase + warp * 16, col + 72, rowStride);
        ctx.mmaStore(o10, out, qBase + warp * 16, col + 80, rowStride);
        ctx.mmaStore(o11, out, qBase + warp * 16, col + 88, rowStride);
        ctx.mmaStore(o12, out, qBase + warp * 16, col + 96, rowStride);
        ctx.mmaStore(o13, out, qBase + warp * 16, col + 104, rowStride);
        ctx.mmaStore(o14, out, qBase + warp * 16, col + 112, rowStride);
        ctx.mmaStore(o15, out, qBase + warp * 16, col + 120, rowStride);
    }
}
