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
 * <p>
 * Every global read of a tile is written out (no loop): a thread's 32 K, 32 V and 32 score loads are independent
 * and in flight together, so a tile pays the memory latency about once. Written as loops whose trip count depends
 * on the thread, the first version waited for each load in turn and ran no faster than the fp32 register kernel
 * (48.2 against 46.3 ms at 2688 × 20 240, H100). Keys past the window read the last key's row (finite) and are
 * masked to weight 0 in the softmax, so no load is behind a branch.
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
        // its row of the P tile: key slab (sh + i)/16, int ((sh + i) mod 16)/2 of query sq
        int pRow = (sh >> 4) * 1024 + sq * 8;
        int pOff = warp * 512;
        // m starts above the mask value -3e38, so masked scores weigh exp(-3e38 - m) = 0 even before a real key
        float m = -1.0e38f;
        float l = 0f;
        float inv = 0f;
        float[] o0 = ctx.mmaFragment(0f); float[] o1 = ctx.mmaFragment(0f); float[] o2 = ctx.mmaFragment(0f); float[] o3 = ctx.mmaFragment(0f); float[] o4 = ctx.mmaFragment(0f); float[] o5 = ctx.mmaFragment(0f); float[] o6 = ctx.mmaFragment(0f); float[] o7 = ctx.mmaFragment(0f);
        float[] o8 = ctx.mmaFragment(0f); float[] o9 = ctx.mmaFragment(0f); float[] o10 = ctx.mmaFragment(0f); float[] o11 = ctx.mmaFragment(0f); float[] o12 = ctx.mmaFragment(0f); float[] o13 = ctx.mmaFragment(0f); float[] o14 = ctx.mmaFragment(0f); float[] o15 = ctx.mmaFragment(0f);
        for (int pass = 0; pass < 2; pass++) {
            for (int j0 = from; j0 < to; j0 += 64) {
                // K tile rows kA = j0 + t/8 and kA + 32 (clamped to the last key: their weight is masked to 0), 8 d-slabs each
                int kRowA = TornadoMath.min(j0 + (t >> 3), to - 1) * rowStride + col + 2 * (t & 7);
                int kRowB = TornadoMath.min(j0 + (t >> 3) + 32, to - 1) * rowStride + col + 2 * (t & 7);
                float ka0 = k.get(kRowA + 0); float kb0 = k.get(kRowA + 1);
                float ka1 = k.get(kRowB + 0); float kb1 = k.get(kRowB + 1);
                float ka2 = k.get(kRowA + 16); float kb2 = k.get(kRowA + 17);
                float ka3 = k.get(kRowB + 16); float kb3 = k.get(kRowB + 17);
                float ka4 = k.get(kRowA + 32); float kb4 = k.get(kRowA + 33);
                float ka5 = k.get(kRowB + 32); float kb5 = k.get(kRowB + 33);
                float ka6 = k.get(kRowA + 48); float kb6 = k.get(kRowA + 49);
                float ka7 = k.get(kRowB + 48); float kb7 = k.get(kRowB + 49);
                float ka8 = k.get(kRowA + 64); float kb8 = k.get(kRowA + 65);
                float ka9 = k.get(kRowB + 64); float kb9 = k.get(kRowB + 65);
                float ka10 = k.get(kRowA + 80); float kb10 = k.get(kRowA + 81);
                float ka11 = k.get(kRowB + 80); float kb11 = k.get(kRowB + 81);
                float ka12 = k.get(kRowA + 96); float kb12 = k.get(kRowA + 97);
                float ka13 = k.get(kRowB + 96); float kb13 = k.get(kRowB + 97);
                float ka14 = k.get(kRowA + 112); float kb14 = k.get(kRowA + 113);
                float ka15 = k.get(kRowB + 112); float kb15 = k.get(kRowB + 113);
                // V tile (pass 1): key rows j0 + 16·s + (t/4 mod 16), d = 8·(t/64 + 4·u) + 2·(t mod 4)
                int vKey = j0 + ((t >> 2) & 15);
                int vCol = col + (t >> 6) * 8 + 2 * (t & 3);
                int vRow0 = TornadoMath.min(vKey + 0, to - 1) * rowStride + vCol;
                int vRow1 = TornadoMath.min(vKey + 16, to - 1) * rowStride + vCol;
                int vRow2 = TornadoMath.min(vKey + 32, to - 1) * rowStride + vCol;
                int vRow3 = TornadoMath.min(vKey + 48, to - 1) * rowStride + vCol;
                if (pass == 1) {
                    float va0 = v.get(vRow0 + 0); float vb0 = v.get(vRow0 + 1);
                    float va1 = v.get(vRow0 + 32); float vb1 = v.get(vRow0 + 33);
                    float va2 = v.get(vRow0 + 64); float vb2 = v.get(vRow0 + 65);
                    float va3 = v.get(vRow0 + 96); float vb3 = v.get(vRow0 + 97);
                    float va4 = v.get(vRow1 + 0); float vb4 = v.get(vRow1 + 1);
                    float va5 = v.get(vRow1 + 32); float vb5 = v.get(vRow1 + 33);
                    float va6 = v.get(vRow1 + 64); float vb6 = v.get(vRow1 + 65);
                    float va7 = v.get(vRow1 + 96); float vb7 = v.get(vRow1 + 97);
                    float va8 = v.get(vRow2 + 0); float vb8 = v.get(vRow2 + 1);
                    float va9 = v.get(vRow2 + 32); float vb9 = v.get(vRow2 + 33);
                    float va10 = v.get(vRow2 + 64); float vb10 = v.get(vRow2 + 65);
                    float va11 = v.get(vRow2 + 96); float vb11 = v.get(vRow2 + 97);
                    float va12 = v.get(vRow3 + 0); float vb12 = v.get(vRow3 + 1);
                    float va13 = v.get(vRow3 + 32); float vb13 = v.get(vRow3 + 33);
                    float va14 = v.get(vRow3 + 64); float vb14 = v.get(vRow3 + 65);
                    float va15 = v.get(vRow3 + 96); float vb15 = v.get(vRow3 + 97);
                    qkv[4096 + t + 0] = HalfKernels.pack(va0, vb0);
                    qkv[4096 + t + 256] = HalfKernels.pack(va1, vb1);
                    qkv[4096 + t + 512] = HalfKernels.pack(va2, vb2);
                    qkv[4096 + t + 768] = HalfKernels.pack(va3, vb3);
                    qkv[4096 + t + 1024] = HalfKernels.pack(va4, vb4);
                    qkv[4096 + t + 1280] = HalfKernels.pack(va5, vb5);
                    qkv[4096 + t + 1536] = HalfKernels.pack(va6, vb6);
                    qkv[4096 + t + 1792] = HalfKernels.pack(va7, vb7);
                    qkv[4096 + t + 2048] = HalfKernels.pack(va8, vb8);
                    qkv[4096 + t + 2304] = HalfKernels.pack(va9, vb9);
                    qkv[4096 + t + 2560] = HalfKernels.pack(va10, vb10);
                    qkv[4096 + t + 2816] = HalfKernels.pack(va11, vb11);
                    qkv[4096 + t + 3072] = HalfKernels.pack(va12, vb12);
                    qkv[4096 + t + 3328] = HalfKernels.pack(va13, vb13);
                    qkv[4096 + t + 3584] = HalfKernels.pack(va14, vb14);
                    qkv[4096 + t + 3840] = HalfKernels.pack(va15, vb15);
                }
                qkv[t + 0] = HalfKernels.pack(ka0, kb0);
                qkv[t + 256] = HalfKernels.pack(ka1, kb1);
                qkv[t + 512] = HalfKernels.pack(ka2, kb2);
                qkv[t + 768] = HalfKernels.pack(ka3, kb3);
                qkv[t + 1024] = HalfKernels.pack(ka4, kb4);
                qkv[t + 1280] = HalfKernels.pack(ka5, kb5);
                qkv[t + 1536] = HalfKernels.pack(ka6, kb6);
                qkv[t + 1792] = HalfKernels.pack(ka7, kb7);
                qkv[t + 2048] = HalfKernels.pack(ka8, kb8);
                qkv[t + 2304] = HalfKernels.pack(ka9, kb9);
                qkv[t + 2560] = HalfKernels.pack(ka10, kb10);
                qkv[t + 2816] = HalfKernels.pack(ka11, kb11);
                qkv[t + 3072] = HalfKernels.pack(ka12, kb12);
                qkv[t + 3328] = HalfKernels.pack(ka13, kb13);
                qkv[t + 3584] = HalfKernels.pack(ka14, kb14);
                qkv[t + 3840] = HalfKernels.pack(ka15, kb15);
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
                // this thread's 32 scores of the tile, read at once; keys past `to` at -3e38 (below m's start, weight 0)
                float x0 = scores.get(sBase + 0);
                float x1 = scores.get(sBase + 128);
                float x2 = scores.get(sBase + 256);
                float x3 = scores.get(sBase + 384);
                float x4 = scores.get(sBase + 512);
                float x5 = scores.get(sBase + 640);
                float x6 = scores.get(sBase + 768);
                float x7 = scores.get(sBase + 896);
                float x8 = scores.get(sBase + 1024);
                float x9 = scores.get(sBase + 1152);
                float x10 = scores.get(sBase + 1280);
                float x11 = scores.get(sBase + 1408);
                float x12 = scores.get(sBase + 1536);
                float x13 = scores.get(sBase + 1664);
                float x14 = scores.get(sBase + 1792);
                float x15 = scores.get(sBase + 1920);
                float x16 = scores.get(sBase + 2048);
                float x17 = scores.get(sBase + 2176);
                float x18 = scores.get(sBase + 2304);
                float x19 = scores.get(sBase + 2432);
                float x20 = scores.get(sBase + 2560);
                float x21 = scores.get(sBase + 2688);
                float x22 = scores.get(sBase + 2816);
                float x23 = scores.get(sBase + 2944);
                float x24 = scores.get(sBase + 3072);
                float x25 = scores.get(sBase + 3200);
                float x26 = scores.get(sBase + 3328);
                float x27 = scores.get(sBase + 3456);
                float x28 = scores.get(sBase + 3584);
                float x29 = scores.get(sBase + 3712);
                float x30 = scores.get(sBase + 3840);
                float x31 = scores.get(sBase + 3968);
                x0 = sh + 0 < left ? x0 : -3.0e38f;
                x1 = sh + 1 < left ? x1 : -3.0e38f;
                x2 = sh + 2 < left ? x2 : -3.0e38f;
                x3 = sh + 3 < left ? x3 : -3.0e38f;
                x4 = sh + 4 < left ? x4 : -3.0e38f;
                x5 = sh + 5 < left ? x5 : -3.0e38f;
                x6 = sh + 6 < left ? x6 : -3.0e38f;
                x7 = sh + 7 < left ? x7 : -3.0e38f;
                x8 = sh + 8 < left ? x8 : -3.0e38f;
                x9 = sh + 9 < left ? x9 : -3.0e38f;
                x10 = sh + 10 < left ? x10 : -3.0e38f;
                x11 = sh + 11 < left ? x11 : -3.0e38f;
                x12 = sh + 12 < left ? x12 : -3.0e38f;
                x13 = sh + 13 < left ? x13 : -3.0e38f;
                x14 = sh + 14 < left ? x14 : -3.0e38f;
                x15 = sh + 15 < left ? x15 : -3.0e38f;
                x16 = sh + 16 < left ? x16 : -3.0e38f;
                x17 = sh + 17 < left ? x17 : -3.0e38f;
                x18 = sh + 18 < left ? x18 : -3.0e38f;
                x19 = sh + 19 < left ? x19 : -3.0e38f;
                x20 = sh + 20 < left ? x20 : -3.0e38f;
                x21 = sh + 21 < left ? x21 : -3.0e38f;
                x22 = sh + 22 < left ? x22 : -3.0e38f;
                x23 = sh + 23 < left ? x23 : -3.0e38f;
                x24 = sh + 24 < left ? x24 : -3.0e38f;
                x25 = sh + 25 < left ? x25 : -3.0e38f;
                x26 = sh + 26 < left ? x26 : -3.0e38f;
                x27 = sh + 27 < left ? x27 : -3.0e38f;
                x28 = sh + 28 < left ? x28 : -3.0e38f;
                x29 = sh + 29 < left ? x29 : -3.0e38f;
                x30 = sh + 30 < left ? x30 : -3.0e38f;
                x31 = sh + 31 < left ? x31 : -3.0e38f;
                if (pass == 0) {
                    float tileMax = m;
                    tileMax = TornadoMath.max(tileMax, x0);
                    tileMax = TornadoMath.max(tileMax, x1);
                    tileMax = TornadoMath.max(tileMax, x2);
                    tileMax = TornadoMath.max(tileMax, x3);
                    tileMax = TornadoMath.max(tileMax, x4);
                    tileMax = TornadoMath.max(tileMax, x5);
                    tileMax = TornadoMath.max(tileMax, x6);
                    tileMax = TornadoMath.max(tileMax, x7);
                    tileMax = TornadoMath.max(tileMax, x8);
                    tileMax = TornadoMath.max(tileMax, x9);
                    tileMax = TornadoMath.max(tileMax, x10);
                    tileMax = TornadoMath.max(tileMax, x11);
                    tileMax = TornadoMath.max(tileMax, x12);
                    tileMax = TornadoMath.max(tileMax, x13);
                    tileMax = TornadoMath.max(tileMax, x14);
                    tileMax = TornadoMath.max(tileMax, x15);
                    tileMax = TornadoMath.max(tileMax, x16);
                    tileMax = TornadoMath.max(tileMax, x17);
                    tileMax = TornadoMath.max(tileMax, x18);
                    tileMax = TornadoMath.max(tileMax, x19);
                    tileMax = TornadoMath.max(tileMax, x20);
                    tileMax = TornadoMath.max(tileMax, x21);
                    tileMax = TornadoMath.max(tileMax, x22);
                    tileMax = TornadoMath.max(tileMax, x23);
                    tileMax = TornadoMath.max(tileMax, x24);
                    tileMax = TornadoMath.max(tileMax, x25);
                    tileMax = TornadoMath.max(tileMax, x26);
                    tileMax = TornadoMath.max(tileMax, x27);
                    tileMax = TornadoMath.max(tileMax, x28);
                    tileMax = TornadoMath.max(tileMax, x29);
                    tileMax = TornadoMath.max(tileMax, x30);
                    tileMax = TornadoMath.max(tileMax, x31);
                    float sum = TornadoMath.exp(x0 - tileMax) + TornadoMath.exp(x1 - tileMax) + TornadoMath.exp(x2 - tileMax) + TornadoMath.exp(x3 - tileMax);
                    sum += TornadoMath.exp(x4 - tileMax) + TornadoMath.exp(x5 - tileMax) + TornadoMath.exp(x6 - tileMax) + TornadoMath.exp(x7 - tileMax);
                    sum += TornadoMath.exp(x8 - tileMax) + TornadoMath.exp(x9 - tileMax) + TornadoMath.exp(x10 - tileMax) + TornadoMath.exp(x11 - tileMax);
                    sum += TornadoMath.exp(x12 - tileMax) + TornadoMath.exp(x13 - tileMax) + TornadoMath.exp(x14 - tileMax) + TornadoMath.exp(x15 - tileMax);
                    sum += TornadoMath.exp(x16 - tileMax) + TornadoMath.exp(x17 - tileMax) + TornadoMath.exp(x18 - tileMax) + TornadoMath.exp(x19 - tileMax);
                    sum += TornadoMath.exp(x20 - tileMax) + TornadoMath.exp(x21 - tileMax) + TornadoMath.exp(x22 - tileMax) + TornadoMath.exp(x23 - tileMax);
                    sum += TornadoMath.exp(x24 - tileMax) + TornadoMath.exp(x25 - tileMax) + TornadoMath.exp(x26 - tileMax) + TornadoMath.exp(x27 - tileMax);
                    sum += TornadoMath.exp(x28 - tileMax) + TornadoMath.exp(x29 - tileMax) + TornadoMath.exp(x30 - tileMax) + TornadoMath.exp(x31 - tileMax);
                    l = l * TornadoMath.exp(m - tileMax) + sum;
                    m = tileMax;
                } else {
                    // P over K: [4 key-slabs][128 queries][16 keys], keys sh + i, sh + i + 1 in one int
                    qkv[pRow + 0] = HalfKernels.pack(TornadoMath.exp(x0 - m) * inv, TornadoMath.exp(x1 - m) * inv);
                    qkv[pRow + 1] = HalfKernels.pack(TornadoMath.exp(x2 - m) * inv, TornadoMath.exp(x3 - m) * inv);
                    qkv[pRow + 2] = HalfKernels.pack(TornadoMath.exp(x4 - m) * inv, TornadoMath.exp(x5 - m) * inv);
                    qkv[pRow + 3] = HalfKernels.pack(TornadoMath.exp(x6 - m) * inv, TornadoMath.exp(x7 - m) * inv);
                    qkv[pRow + 4] = HalfKernels.pack(TornadoMath.exp(x8 - m) * inv, TornadoMath.exp(x9 - m) * inv);
                    qkv[pRow + 5] = HalfKernels.pack(TornadoMath.exp(x10 - m) * inv, TornadoMath.exp(x11 - m) * inv);
                    qkv[pRow + 6] = HalfKernels.pack(TornadoMath.exp(x12 - m) * inv, TornadoMath.exp(x13 - m) * inv);
                    qkv[pRow + 7] = HalfKernels.pack(TornadoMath.exp(x14 - m) * inv, TornadoMath.exp(x15 - m) * inv);
                    qkv[pRow + 1024] = HalfKernels.pack(TornadoMath.exp(x16 - m) * inv, TornadoMath.exp(x17 - m) * inv);
                    qkv[pRow + 1025] = HalfKernels.pack(TornadoMath.exp(x18 - m) * inv, TornadoMath.exp(x19 - m) * inv);
                    qkv[pRow + 1026] = HalfKernels.pack(TornadoMath.exp(x20 - m) * inv, TornadoMath.exp(x21 - m) * inv);
                    qkv[pRow + 1027] = HalfKernels.pack(TornadoMath.exp(x22 - m) * inv, TornadoMath.exp(x23 - m) * inv);
                    qkv[pRow + 1028] = HalfKernels.pack(TornadoMath.exp(x24 - m) * inv, TornadoMath.exp(x25 - m) * inv);
                    qkv[pRow + 1029] = HalfKernels.pack(TornadoMath.exp(x26 - m) * inv, TornadoMath.exp(x27 - m) * inv);
                    qkv[pRow + 1030] = HalfKernels.pack(TornadoMath.exp(x28 - m) * inv, TornadoMath.exp(x29 - m) * inv);
                    qkv[pRow + 1031] = HalfKernels.pack(TornadoMath.exp(x30 - m) * inv, TornadoMath.exp(x31 - m) * inv);
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
