package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.MMAShape;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@code y[m, n] = x[m, k]·w[n, k]ᵀ + b} on tensor cores through {@link KernelContext}'s MMA intrinsics
 * ({@code mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32}: fp16 operands, fp32 accumulation), after
 * TornadoVM's own {@code MatrixMultiplicationMMA} example, with three changes that target its measured
 * limits (TORNADOVM.md: 29–34 TFLOP/s, "tiles move global → registers → shared synchronously and
 * single-buffered; fp16 loaded one element at a time"):
 * <ul>
 *   <li><b>Operands pre-tiled in device memory.</b> The shared-memory layouts that {@code ldmatrix} wants
 *       (A: rows of 16 halves, 32 bytes; B: 16×8 sub-tiles [k][n], 256 bytes, read with {@code .trans}) are
 *       produced once — for the weight on the host at upload ({@code wt}, packed half pairs in an
 *       {@link IntArray}), for x by {@link #toHalfTiles} — so that each k-step's tile of a block is one
 *       contiguous chunk: every load is coalesced and every shared store conflict-free, with no index
 *       arithmetic beyond a base plus a constant.</li>
 *   <li><b>Two shared-memory stages with a register prefetch.</b> While the warps multiply stage
 *       {@code ks & 1}, each thread's global loads of k-step {@code ks+1} are already in flight into
 *       registers; they are stored to the idle stage after the MMAs, so there is one barrier per k-step
 *       and the load latency hides behind the tensor-core work (the PTX backend has no {@code cp.async}).</li>
 *   <li><b>Larger k-steps or warp tiles</b> (BK 32, or 64×64 per warp) so that each barrier and each
 *       {@code ldmatrix} feeds more MMAs.</li>
 * </ul>
 * Padding: rows of x must be a multiple of the block height (the plan's row multiple); k is padded to
 * the k-step with zero weight columns (padded x columns hold finite values × 0); n is padded to the
 * block width with zero weight rows, the kernel then stores into a padded scratch that
 * {@link #unpadBias} copies out. {@code mmaStore} writes raw accumulators, so the bias is added by
 * {@link #addBias} / {@link #unpadBias}. MMA lowers on the PTX (and CUDA) backends only.
 */
public final class MmaGemmKernels {
    private MmaGemmKernels() {
    }

    /**
     * x [m, k] F32 → fp16 tiles of {@code bm} rows × {@code bk} columns, each stored as {@code bk/16} slabs
     * [bm rows][16 halves]: element (r, c) of the padded [m, kPad] matrix goes to
     * {@code (((r/bm)·kSteps + c/bk)·(bk/16) + (c%bk)/16)·bm·16 + (r%bm)·16 + c%16}. Columns c ≥ k read a
     * clamped (finite) x value: their weight columns are zero.
     * Batched, scaled: {@code batches} matrices side by side in the rows of x (row stride {@code ldx}, batch b at
     * column b·k, e.g. the heads of q [m, heads, k]), batch b's tiles {@code b·m·kPad} halves in, every value times
     * {@code scale} before rounding (a linear: ldx = k, one batch, scale 1).
     */
    public static void toHalfTiles(FloatArray x, HalfFloatArray xh, int m, int k, int kPad, int bm, int bk, int ldx,
                                   int batches, float scale) {
        for (@Parallel int i = 0; i < batches * m * kPad; i++) {
            int b = i / (m * kPad);
            int e = i - b * (m * kPad);
            int r = e / kPad;
            int c = e - r * kPad;
            int cc = c < k ? c : k - 1;
            int kSteps = kPad / bk;
            int rb = r / bm;
            int ks = c / bk;
            int inStep = c - ks * bk;
            int slab = inStep >> 4;
            int o = ((rb * kSteps + ks) * (bk >> 4) + slab) * bm * 16 + (r - rb * bm) * 16 + (inStep & 15);
            xh.set(b * (m * kPad) + o, new HalfFloat(x.get(r * ldx + b * k + cc) * scale));
        }
    }

    /**
     * Index of the int holding B[n][k] (with B[n + 1][k], n even) in the B tiles of the 128×128, k-step 32 kernels
     * ({@code kSteps} k-steps a column block), as {@code MmaLinear.putTiles} lays out weights.
     */
    public static int bTileInt(int n, int k, int kSteps) {
        int cb = n >> 7;
        int inBlock = n & 127;
        int ks = k >> 5;
        int inStep = k & 31;
        return ((((cb * kSteps + ks) * 2 + (inStep >> 4)) * 16 + (inBlock >> 3)) * 16 + (inStep & 15)) * 4
                + ((inBlock & 7) >> 1);
    }

    /** Index of the half holding A[r][k] in the A tiles of 128 rows × k-steps of 32 ({@code kSteps} a row block), as {@link #toHalfTiles} writes them. */
    public static int aTileHalf(int r, int k, int kSteps) {
        int ks = k >> 5;
        return (((r >> 7) * kSteps + ks) * 2 + ((k & 31) >> 4)) * 2048 + (r & 127) * 16 + (k & 15);
    }

    /** y[m, n] = yPad[m, nPad] (first n columns) + b[layer[0], n]. */
    public static void unpadBias(FloatArray yPad, FloatArray b, IntArray layer, FloatArray y, int m, int n, int nPad) {
        for (@Parallel int i = 0; i < m * n; i++) {
            int r = i / n;
            int c = i - r * n;
            y.set(i, yPad.get(r * nPad + c) + b.get(layer.get(0) * n + c));
        }
    }

    /**
     * Block 128×128, BK 32, 8 warps (4×2), warp tile 32×64 = 2×8 m16n8k16
     * fragments; 8 A ints and 8 B ints per thread per k-step, prefetched into registers while the
     * current stage is multiplied. Global size ({@code m/128·256}, {@code nPad/128}), local (256, 1).
     * Shared memory: 2 stages × (2048 + 2048) ints = 32768 bytes.
     */
    public static void mma128x128k32(KernelContext ctx, HalfFloatArray xh, IntArray wt, IntArray layer, FloatArray y, int kSteps, int layerInts, int ldy) {
        int tid = ctx.localIdx;
        int warp = tid >> 5;
        int wm = warp / 2;
        int wn = warp - wm * 2;
        int rowBlock = ctx.groupIdx;
        int colBlock = ctx.groupIdy;
        int[] aTile = ctx.allocateIntLocalArray(4096);
        int[] bTile = ctx.allocateIntLocalArray(4096);
        float[] c0_0 = ctx.mmaFragment(0f); float[] c0_1 = ctx.mmaFragment(0f); float[] c0_2 = ctx.mmaFragment(0f); float[] c0_3 = ctx.mmaFragment(0f); float[] c0_4 = ctx.mmaFragment(0f); float[] c0_5 = ctx.mmaFragment(0f); float[] c0_6 = ctx.mmaFragment(0f); float[] c0_7 = ctx.mmaFragment(0f);
        float[] c1_0 = ctx.mmaFragment(0f); float[] c1_1 = ctx.mmaFragment(0f); float[] c1_2 = ctx.mmaFragment(0f); float[] c1_3 = ctx.mmaFragment(0f); float[] c1_4 = ctx.mmaFragment(0f); float[] c1_5 = ctx.mmaFragment(0f); float[] c1_6 = ctx.mmaFragment(0f); float[] c1_7 = ctx.mmaFragment(0f);
        // x tiles of this row block: kSteps chunks of 4096 halves; w tiles of this column block of
        // layer layer[0] (layers stacked, layerInts apart): kSteps chunks of 2048 ints
        int aBase = rowBlock * kSteps * 4096 + 2 * tid;
        int bBase = layer.get(0) * layerInts + colBlock * kSteps * 2048 + tid;
        aTile[tid + 0] = (xh.get(aBase + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 256] = (xh.get(aBase + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 513).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 512] = (xh.get(aBase + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1025).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 768] = (xh.get(aBase + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1537).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 1024] = (xh.get(aBase + 2048).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 2049).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 1280] = (xh.get(aBase + 2560).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 2561).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 1536] = (xh.get(aBase + 3072).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 3073).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 1792] = (xh.get(aBase + 3584).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 3585).getHalfFloatValue() & 0xFFFF) << 16);
        bTile[tid + 0] = wt.get(bBase + 0);
        bTile[tid + 256] = wt.get(bBase + 256);
        bTile[tid + 512] = wt.get(bBase + 512);
        bTile[tid + 768] = wt.get(bBase + 768);
        bTile[tid + 1024] = wt.get(bBase + 1024);
        bTile[tid + 1280] = wt.get(bBase + 1280);
        bTile[tid + 1536] = wt.get(bBase + 1536);
        bTile[tid + 1792] = wt.get(bBase + 1792);
        ctx.localBarrier();
        int aWarp = wm * 1024;
        int bWarp = wn * 2048;
        for (int ks = 0; ks < kSteps; ks++) {
            int cur = ks & 1;
            // prefetch k-step ks+1 (the last step reloads itself into the idle stage: harmless)
            int nxt = ks + 1 < kSteps ? ks + 1 : ks;
            int ga = aBase + nxt * 4096;
            int gb = bBase + nxt * 2048;
            int pa0 = (xh.get(ga + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1).getHalfFloatValue() & 0xFFFF) << 16);
            int pa1 = (xh.get(ga + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 513).getHalfFloatValue() & 0xFFFF) << 16);
            int pa2 = (xh.get(ga + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1025).getHalfFloatValue() & 0xFFFF) << 16);
            int pa3 = (xh.get(ga + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1537).getHalfFloatValue() & 0xFFFF) << 16);
            int pa4 = (xh.get(ga + 2048).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 2049).getHalfFloatValue() & 0xFFFF) << 16);
            int pa5 = (xh.get(ga + 2560).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 2561).getHalfFloatValue() & 0xFFFF) << 16);
            int pa6 = (xh.get(ga + 3072).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 3073).getHalfFloatValue() & 0xFFFF) << 16);
            int pa7 = (xh.get(ga + 3584).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 3585).getHalfFloatValue() & 0xFFFF) << 16);
            int pb0 = wt.get(gb + 0);
            int pb1 = wt.get(gb + 256);
            int pb2 = wt.get(gb + 512);
            int pb3 = wt.get(gb + 768);
            int pb4 = wt.get(gb + 1024);
            int pb5 = wt.get(gb + 1280);
            int pb6 = wt.get(gb + 1536);
            int pb7 = wt.get(gb + 1792);
            int aStage = cur * 8192 + aWarp;
            int bStage = cur * 8192 + bWarp;
            HalfFloat[] a0 = ctx.mmaLoadA(aTile, 16, aStage + 0);
            HalfFloat[] a1 = ctx.mmaLoadA(aTile, 16, aStage + 512);
            HalfFloat[] b0 = ctx.mmaLoadB(bTile, 16, bStage + 0);
            HalfFloat[] b1 = ctx.mmaLoadB(bTile, 16, bStage + 256);
            HalfFloat[] b2 = ctx.mmaLoadB(bTile, 16, bStage + 512);
            HalfFloat[] b3 = ctx.mmaLoadB(bTile, 16, bStage + 768);
            HalfFloat[] b4 = ctx.mmaLoadB(bTile, 16, bStage + 1024);
            HalfFloat[] b5 = ctx.mmaLoadB(bTile, 16, bStage + 1280);
            HalfFloat[] b6 = ctx.mmaLoadB(bTile, 16, bStage + 1536);
            HalfFloat[] b7 = ctx.mmaLoadB(bTile, 16, bStage + 1792);
            c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
            c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
            c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
            c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
            c0_4 = ctx.mma(a0, b4, c0_4, MMAShape.M16N8K16);
            c0_5 = ctx.mma(a0, b5, c0_5, MMAShape.M16N8K16);
            c0_6 = ctx.mma(a0, b6, c0_6, MMAShape.M16N8K16);
            c0_7 = ctx.mma(a0, b7, c0_7, MMAShape.M16N8K16);
            c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
            c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
            c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
            c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
            c1_4 = ctx.mma(a1, b4, c1_4, MMAShape.M16N8K16);
            c1_5 = ctx.mma(a1, b5, c1_5, MMAShape.M16N8K16);
            c1_6 = ctx.mma(a1, b6, c1_6, MMAShape.M16N8K16);
            c1_7 = ctx.mma(a1, b7, c1_7, MMAShape.M16N8K16);
            a0 = ctx.mmaLoadA(aTile, 16, aStage + 4096);
            a1 = ctx.mmaLoadA(aTile, 16, aStage + 4608);
            b0 = ctx.mmaLoadB(bTile, 16, bStage + 4096);
            b1 = ctx.mmaLoadB(bTile, 16, bStage + 4352);
            b2 = ctx.mmaLoadB(bTile, 16, bStage + 4608);
            b3 = ctx.mmaLoadB(bTile, 16, bStage + 4864);
            b4 = ctx.mmaLoadB(bTile, 16, bStage + 5120);
            b5 = ctx.mmaLoadB(bTile, 16, bStage + 5376);
            b6 = ctx.mmaLoadB(bTile, 16, bStage + 5632);
            b7 = ctx.mmaLoadB(bTile, 16, bStage + 5888);
            c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
            c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
            c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
            c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
            c0_4 = ctx.mma(a0, b4, c0_4, MMAShape.M16N8K16);
            c0_5 = ctx.mma(a0, b5, c0_5, MMAShape.M16N8K16);
            c0_6 = ctx.mma(a0, b6, c0_6, MMAShape.M16N8K16);
            c0_7 = ctx.mma(a0, b7, c0_7, MMAShape.M16N8K16);
            c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
            c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
            c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
            c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
            c1_4 = ctx.mma(a1, b4, c1_4, MMAShape.M16N8K16);
            c1_5 = ctx.mma(a1, b5, c1_5, MMAShape.M16N8K16);
            c1_6 = ctx.mma(a1, b6, c1_6, MMAShape.M16N8K16);
            c1_7 = ctx.mma(a1, b7, c1_7, MMAShape.M16N8K16);
            int idleA = (1 - cur) * 2048 + tid;
            int idleB = (1 - cur) * 2048 + tid;
            aTile[idleA + 0] = pa0;
            aTile[idleA + 256] = pa1;
            aTile[idleA + 512] = pa2;
            aTile[idleA + 768] = pa3;
            aTile[idleA + 1024] = pa4;
            aTile[idleA + 1280] = pa5;
            aTile[idleA + 1536] = pa6;
            aTile[idleA + 1792] = pa7;
            bTile[idleB + 0] = pb0;
            bTile[idleB + 256] = pb1;
            bTile[idleB + 512] = pb2;
            bTile[idleB + 768] = pb3;
            bTile[idleB + 1024] = pb4;
            bTile[idleB + 1280] = pb5;
            bTile[idleB + 1536] = pb6;
            bTile[idleB + 1792] = pb7;
            ctx.localBarrier();
        }
        int r0 = rowBlock * 128 + wm * 32;
        int c0 = colBlock * 128 + wn * 64;
        ctx.mmaStore(c0_0, y, r0 + 0, c0 + 0, ldy);
        ctx.mmaStore(c0_1, y, r0 + 0, c0 + 8, ldy);
        ctx.mmaStore(c0_2, y, r0 + 0, c0 + 16, ldy);
        ctx.mmaStore(c0_3, y, r0 + 0, c0 + 24, ldy);
        ctx.mmaStore(c0_4, y, r0 + 0, c0 + 32, ldy);
        ctx.mmaStore(c0_5, y, r0 + 0, c0 + 40, ldy);
        ctx.mmaStore(c0_6, y, r0 + 0, c0 + 48, ldy);
        ctx.mmaStore(c0_7, y, r0 + 0, c0 + 56, ldy);
        ctx.mmaStore(c1_0, y, r0 + 16, c0 + 0, ldy);
        ctx.mmaStore(c1_1, y, r0 + 16, c0 + 8, ldy);
        ctx.mmaStore(c1_2, y, r0 + 16, c0 + 16, ldy);
        ctx.mmaStore(c1_3, y, r0 + 16, c0 + 24, ldy);
        ctx.mmaStore(c1_4, y, r0 + 16, c0 + 32, ldy);
        ctx.mmaStore(c1_5, y, r0 + 16, c0 + 40, ldy);
        ctx.mmaStore(c1_6, y, r0 + 16, c0 + 48, ldy);
        ctx.mmaStore(c1_7, y, r0 + 16, c0 + 56, ldy);
    }

    /**
     * Block 128×256, BK 16, 8 warps (2×4), warp tile 64×64 = 4×8 m16n8k16
     * fragments; 4 A ints and 8 B ints per thread per k-step, prefetched into registers while the
     * current stage is multiplied. Global size ({@code m/128·256}, {@code nPad/256}), local (256, 1).
     * Shared memory: 2 stages × (1024 + 2048) ints = 24576 bytes.
     */
    public static void mma128x256k16(KernelContext ctx, HalfFloatArray xh, IntArray wt, IntArray layer, FloatArray y, int kSteps, int layerInts, int ldy) {
        int tid = ctx.localIdx;
        int warp = tid >> 5;
        int wm = warp / 4;
        int wn = warp - wm * 4;
        int rowBlock = ctx.groupIdx;
        int colBlock = ctx.groupIdy;
        int[] aTile = ctx.allocateIntLocalArray(2048);
        int[] bTile = ctx.allocateIntLocalArray(4096);
        float[] c0_0 = ctx.mmaFragment(0f); float[] c0_1 = ctx.mmaFragment(0f); float[] c0_2 = ctx.mmaFragment(0f); float[] c0_3 = ctx.mmaFragment(0f); float[] c0_4 = ctx.mmaFragment(0f); float[] c0_5 = ctx.mmaFragment(0f); float[] c0_6 = ctx.mmaFragment(0f); float[] c0_7 = ctx.mmaFragment(0f);
        float[] c1_0 = ctx.mmaFragment(0f); float[] c1_1 = ctx.mmaFragment(0f); float[] c1_2 = ctx.mmaFragment(0f); float[] c1_3 = ctx.mmaFragment(0f); float[] c1_4 = ctx.mmaFragment(0f); float[] c1_5 = ctx.mmaFragment(0f); float[] c1_6 = ctx.mmaFragment(0f); float[] c1_7 = ctx.mmaFragment(0f);
        float[] c2_0 = ctx.mmaFragment(0f); float[] c2_1 = ctx.mmaFragment(0f); float[] c2_2 = ctx.mmaFragment(0f); float[] c2_3 = ctx.mmaFragment(0f); float[] c2_4 = ctx.mmaFragment(0f); float[] c2_5 = ctx.mmaFragment(0f); float[] c2_6 = ctx.mmaFragment(0f); float[] c2_7 = ctx.mmaFragment(0f);
        float[] c3_0 = ctx.mmaFragment(0f); float[] c3_1 = ctx.mmaFragment(0f); float[] c3_2 = ctx.mmaFragment(0f); float[] c3_3 = ctx.mmaFragment(0f); float[] c3_4 = ctx.mmaFragment(0f); float[] c3_5 = ctx.mmaFragment(0f); float[] c3_6 = ctx.mmaFragment(0f); float[] c3_7 = ctx.mmaFragment(0f);
        // x tiles of this row block: kSteps chunks of 2048 halves; w tiles of this column block of
        // layer layer[0] (layers stacked, layerInts apart): kSteps chunks of 2048 ints
        int aBase = rowBlock * kSteps * 2048 + 2 * tid;
        int bBase = layer.get(0) * layerInts + colBlock * kSteps * 2048 + tid;
        aTile[tid + 0] = (xh.get(aBase + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 256] = (xh.get(aBase + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 513).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 512] = (xh.get(aBase + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1025).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 768] = (xh.get(aBase + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1537).getHalfFloatValue() & 0xFFFF) << 16);
        bTile[tid + 0] = wt.get(bBase + 0);
        bTile[tid + 256] = wt.get(bBase + 256);
        bTile[tid + 512] = wt.get(bBase + 512);
        bTile[tid + 768] = wt.get(bBase + 768);
        bTile[tid + 1024] = wt.get(bBase + 1024);
        bTile[tid + 1280] = wt.get(bBase + 1280);
        bTile[tid + 1536] = wt.get(bBase + 1536);
        bTile[tid + 1792] = wt.get(bBase + 1792);
        ctx.localBarrier();
        int aWarp = wm * 2048;
        int bWarp = wn * 2048;
        for (int ks = 0; ks < kSteps; ks++) {
            int cur = ks & 1;
            // prefetch k-step ks+1 (the last step reloads itself into the idle stage: harmless)
            int nxt = ks + 1 < kSteps ? ks + 1 : ks;
            int ga = aBase + nxt * 2048;
            int gb = bBase + nxt * 2048;
            int pa0 = (xh.get(ga + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1).getHalfFloatValue() & 0xFFFF) << 16);
            int pa1 = (xh.get(ga + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 513).getHalfFloatValue() & 0xFFFF) << 16);
            int pa2 = (xh.get(ga + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1025).getHalfFloatValue() & 0xFFFF) << 16);
            int pa3 = (xh.get(ga + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1537).getHalfFloatValue() & 0xFFFF) << 16);
            int pb0 = wt.get(gb + 0);
            int pb1 = wt.get(gb + 256);
            int pb2 = wt.get(gb + 512);
            int pb3 = wt.get(gb + 768);
            int pb4 = wt.get(gb + 1024);
            int pb5 = wt.get(gb + 1280);
            int pb6 = wt.get(gb + 1536);
            int pb7 = wt.get(gb + 1792);
            int aStage = cur * 4096 + aWarp;
            int bStage = cur * 8192 + bWarp;
            HalfFloat[] a0 = ctx.mmaLoadA(aTile, 16, aStage + 0);
            HalfFloat[] a1 = ctx.mmaLoadA(aTile, 16, aStage + 512);
            HalfFloat[] a2 = ctx.mmaLoadA(aTile, 16, aStage + 1024);
            HalfFloat[] a3 = ctx.mmaLoadA(aTile, 16, aStage + 1536);
            HalfFloat[] b0 = ctx.mmaLoadB(bTile, 16, bStage + 0);
            HalfFloat[] b1 = ctx.mmaLoadB(bTile, 16, bStage + 256);
            HalfFloat[] b2 = ctx.mmaLoadB(bTile, 16, bStage + 512);
            HalfFloat[] b3 = ctx.mmaLoadB(bTile, 16, bStage + 768);
            HalfFloat[] b4 = ctx.mmaLoadB(bTile, 16, bStage + 1024);
            HalfFloat[] b5 = ctx.mmaLoadB(bTile, 16, bStage + 1280);
            HalfFloat[] b6 = ctx.mmaLoadB(bTile, 16, bStage + 1536);
            HalfFloat[] b7 = ctx.mmaLoadB(bTile, 16, bStage + 1792);
            c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
            c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
            c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
            c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
            c0_4 = ctx.mma(a0, b4, c0_4, MMAShape.M16N8K16);
            c0_5 = ctx.mma(a0, b5, c0_5, MMAShape.M16N8K16);
            c0_6 = ctx.mma(a0, b6, c0_6, MMAShape.M16N8K16);
            c0_7 = ctx.mma(a0, b7, c0_7, MMAShape.M16N8K16);
            c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
            c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
            c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
            c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
            c1_4 = ctx.mma(a1, b4, c1_4, MMAShape.M16N8K16);
            c1_5 = ctx.mma(a1, b5, c1_5, MMAShape.M16N8K16);
            c1_6 = ctx.mma(a1, b6, c1_6, MMAShape.M16N8K16);
            c1_7 = ctx.mma(a1, b7, c1_7, MMAShape.M16N8K16);
            c2_0 = ctx.mma(a2, b0, c2_0, MMAShape.M16N8K16);
            c2_1 = ctx.mma(a2, b1, c2_1, MMAShape.M16N8K16);
            c2_2 = ctx.mma(a2, b2, c2_2, MMAShape.M16N8K16);
            c2_3 = ctx.mma(a2, b3, c2_3, MMAShape.M16N8K16);
            c2_4 = ctx.mma(a2, b4, c2_4, MMAShape.M16N8K16);
            c2_5 = ctx.mma(a2, b5, c2_5, MMAShape.M16N8K16);
            c2_6 = ctx.mma(a2, b6, c2_6, MMAShape.M16N8K16);
            c2_7 = ctx.mma(a2, b7, c2_7, MMAShape.M16N8K16);
            c3_0 = ctx.mma(a3, b0, c3_0, MMAShape.M16N8K16);
            c3_1 = ctx.mma(a3, b1, c3_1, MMAShape.M16N8K16);
            c3_2 = ctx.mma(a3, b2, c3_2, MMAShape.M16N8K16);
            c3_3 = ctx.mma(a3, b3, c3_3, MMAShape.M16N8K16);
            c3_4 = ctx.mma(a3, b4, c3_4, MMAShape.M16N8K16);
            c3_5 = ctx.mma(a3, b5, c3_5, MMAShape.M16N8K16);
            c3_6 = ctx.mma(a3, b6, c3_6, MMAShape.M16N8K16);
            c3_7 = ctx.mma(a3, b7, c3_7, MMAShape.M16N8K16);
            int idleA = (1 - cur) * 1024 + tid;
            int idleB = (1 - cur) * 2048 + tid;
            aTile[idleA + 0] = pa0;
            aTile[idleA + 256] = pa1;
            aTile[idleA + 512] = pa2;
            aTile[idleA + 768] = pa3;
            bTile[idleB + 0] = pb0;
            bTile[idleB + 256] = pb1;
            bTile[idleB + 512] = pb2;
            bTile[idleB + 768] = pb3;
            bTile[idleB + 1024] = pb4;
            bTile[idleB + 1280] = pb5;
            bTile[idleB + 1536] = pb6;
            bTile[idleB + 1792] = pb7;
            ctx.localBarrier();
        }
        int r0 = rowBlock * 128 + wm * 64;
        int c0 = colBlock * 256 + wn * 64;
        ctx.mmaStore(c0_0, y, r0 + 0, c0 + 0, ldy);
        ctx.mmaStore(c0_1, y, r0 + 0, c0 + 8, ldy);
        ctx.mmaStore(c0_2, y, r0 + 0, c0 + 16, ldy);
        ctx.mmaStore(c0_3, y, r0 + 0, c0 + 24, ldy);
        ctx.mmaStore(c0_4, y, r0 + 0, c0 + 32, ldy);
        ctx.mmaStore(c0_5, y, r0 + 0, c0 + 40, ldy);
        ctx.mmaStore(c0_6, y, r0 + 0, c0 + 48, ldy);
        ctx.mmaStore(c0_7, y, r0 + 0, c0 + 56, ldy);
        ctx.mmaStore(c1_0, y, r0 + 16, c0 + 0, ldy);
        ctx.mmaStore(c1_1, y, r0 + 16, c0 + 8, ldy);
        ctx.mmaStore(c1_2, y, r0 + 16, c0 + 16, ldy);
        ctx.mmaStore(c1_3, y, r0 + 16, c0 + 24, ldy);
        ctx.mmaStore(c1_4, y, r0 + 16, c0 + 32, ldy);
        ctx.mmaStore(c1_5, y, r0 + 16, c0 + 40, ldy);
        ctx.mmaStore(c1_6, y, r0 + 16, c0 + 48, ldy);
        ctx.mmaStore(c1_7, y, r0 + 16, c0 + 56, ldy);
        ctx.mmaStore(c2_0, y, r0 + 32, c0 + 0, ldy);
        ctx.mmaStore(c2_1, y, r0 + 32, c0 + 8, ldy);
        ctx.mmaStore(c2_2, y, r0 + 32, c0 + 16, ldy);
        ctx.mmaStore(c2_3, y, r0 + 32, c0 + 24, ldy);
        ctx.mmaStore(c2_4, y, r0 + 32, c0 + 32, ldy);
        ctx.mmaStore(c2_5, y, r0 + 32, c0 + 40, ldy);
        ctx.mmaStore(c2_6, y, r0 + 32, c0 + 48, ldy);
        ctx.mmaStore(c2_7, y, r0 + 32, c0 + 56, ldy);
        ctx.mmaStore(c3_0, y, r0 + 48, c0 + 0, ldy);
        ctx.mmaStore(c3_1, y, r0 + 48, c0 + 8, ldy);
        ctx.mmaStore(c3_2, y, r0 + 48, c0 + 16, ldy);
        ctx.mmaStore(c3_3, y, r0 + 48, c0 + 24, ldy);
        ctx.mmaStore(c3_4, y, r0 + 48, c0 + 32, ldy);
        ctx.mmaStore(c3_5, y, r0 + 48, c0 + 40, ldy);
        ctx.mmaStore(c3_6, y, r0 + 48, c0 + 48, ldy);
        ctx.mmaStore(c3_7, y, r0 + 48, c0 + 56, ldy);
    }

    /**
     * Block 128×128, BK 16, 8 warps (4×2), warp tile 32×64 = 2×8 m16n8k16
     * fragments; 4 A ints and 4 B ints per thread per k-step, prefetched into registers while the
     * current stage is multiplied. Global size ({@code m/128·256}, {@code nPad/128}), local (256, 1).
     * Shared memory: 2 stages × (1024 + 1024) ints = 16384 bytes.
     */
    public static void mma128x128k16(KernelContext ctx, HalfFloatArray xh, IntArray wt, IntArray layer, FloatArray y, int kSteps, int layerInts, int ldy) {
        int tid = ctx.localIdx;
        int warp = tid >> 5;
        int wm = warp / 2;
        int wn = warp - wm * 2;
        int rowBlock = ctx.groupIdx;
        int colBlock = ctx.groupIdy;
        int[] aTile = ctx.allocateIntLocalArray(2048);
        int[] bTile = ctx.allocateIntLocalArray(2048);
        float[] c0_0 = ctx.mmaFragment(0f); float[] c0_1 = ctx.mmaFragment(0f); float[] c0_2 = ctx.mmaFragment(0f); float[] c0_3 = ctx.mmaFragment(0f); float[] c0_4 = ctx.mmaFragment(0f); float[] c0_5 = ctx.mmaFragment(0f); float[] c0_6 = ctx.mmaFragment(0f); float[] c0_7 = ctx.mmaFragment(0f);
        float[] c1_0 = ctx.mmaFragment(0f); float[] c1_1 = ctx.mmaFragment(0f); float[] c1_2 = ctx.mmaFragment(0f); float[] c1_3 = ctx.mmaFragment(0f); float[] c1_4 = ctx.mmaFragment(0f); float[] c1_5 = ctx.mmaFragment(0f); float[] c1_6 = ctx.mmaFragment(0f); float[] c1_7 = ctx.mmaFragment(0f);
        // x tiles of this row block: kSteps chunks of 2048 halves; w tiles of this column block of
        // layer layer[0] (layers stacked, layerInts apart): kSteps chunks of 1024 ints
        int aBase = rowBlock * kSteps * 2048 + 2 * tid;
        int bBase = layer.get(0) * layerInts + colBlock * kSteps * 1024 + tid;
        aTile[tid + 0] = (xh.get(aBase + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 256] = (xh.get(aBase + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 513).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 512] = (xh.get(aBase + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1025).getHalfFloatValue() & 0xFFFF) << 16);
        aTile[tid + 768] = (xh.get(aBase + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1537).getHalfFloatValue() & 0xFFFF) << 16);
        bTile[tid + 0] = wt.get(bBase + 0);
        bTile[tid + 256] = wt.get(bBase + 256);
        bTile[tid + 512] = wt.get(bBase + 512);
        bTile[tid + 768] = wt.get(bBase + 768);
        ctx.localBarrier();
        int aWarp = wm * 1024;
        int bWarp = wn * 2048;
        for (int ks = 0; ks < kSteps; ks++) {
            int cur = ks & 1;
            // prefetch k-step ks+1 (the last step reloads itself into the idle stage: harmless)
            int nxt = ks + 1 < kSteps ? ks + 1 : ks;
            int ga = aBase + nxt * 2048;
            int gb = bBase + nxt * 1024;
            int pa0 = (xh.get(ga + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1).getHalfFloatValue() & 0xFFFF) << 16);
            int pa1 = (xh.get(ga + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 513).getHalfFloatValue() & 0xFFFF) << 16);
            int pa2 = (xh.get(ga + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1025).getHalfFloatValue() & 0xFFFF) << 16);
            int pa3 = (xh.get(ga + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1537).getHalfFloatValue() & 0xFFFF) << 16);
            int pb0 = wt.get(gb + 0);
            int pb1 = wt.get(gb + 256);
            int pb2 = wt.get(gb + 512);
            int pb3 = wt.get(gb + 768);
            int aStage = cur * 4096 + aWarp;
            int bStage = cur * 4096 + bWarp;
            HalfFloat[] a0 = ctx.mmaLoadA(aTile, 16, aStage + 0);
            HalfFloat[] a1 = ctx.mmaLoadA(aTile, 16, aStage + 512);
            HalfFloat[] b0 = ctx.mmaLoadB(bTile, 16, bStage + 0);
            HalfFloat[] b1 = ctx.mmaLoadB(bTile, 16, bStage + 256);
            HalfFloat[] b2 = ctx.mmaLoadB(bTile, 16, bStage + 512);
            HalfFloat[] b3 = ctx.mmaLoadB(bTile, 16, bStage + 768);
            HalfFloat[] b4 = ctx.mmaLoadB(bTile, 16, bStage + 1024);
            HalfFloat[] b5 = ctx.mmaLoadB(bTile, 16, bStage + 1280);
            HalfFloat[] b6 = ctx.mmaLoadB(bTile, 16, bStage + 1536);
            HalfFloat[] b7 = ctx.mmaLoadB(bTile, 16, bStage + 1792);
            c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
            c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
            c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
            c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
            c0_4 = ctx.mma(a0, b4, c0_4, MMAShape.M16N8K16);
            c0_5 = ctx.mma(a0, b5, c0_5, MMAShape.M16N8K16);
            c0_6 = ctx.mma(a0, b6, c0_6, MMAShape.M16N8K16);
            c0_7 = ctx.mma(a0, b7, c0_7, MMAShape.M16N8K16);
            c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
            c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
            c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
            c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
            c1_4 = ctx.mma(a1, b4, c1_4, MMAShape.M16N8K16);
            c1_5 = ctx.mma(a1, b5, c1_5, MMAShape.M16N8K16);
            c1_6 = ctx.mma(a1, b6, c1_6, MMAShape.M16N8K16);
            c1_7 = ctx.mma(a1, b7, c1_7, MMAShape.M16N8K16);
            int idleA = (1 - cur) * 1024 + tid;
            int idleB = (1 - cur) * 1024 + tid;
            aTile[idleA + 0] = pa0;
            aTile[idleA + 256] = pa1;
            aTile[idleA + 512] = pa2;
            aTile[idleA + 768] = pa3;
            bTile[idleB + 0] = pb0;
            bTile[idleB + 256] = pb1;
            bTile[idleB + 512] = pb2;
            bTile[idleB + 768] = pb3;
            ctx.localBarrier();
        }
        int r0 = rowBlock * 128 + wm * 32;
        int c0 = colBlock * 128 + wn * 64;
        ctx.mmaStore(c0_0, y, r0 + 0, c0 + 0, ldy);
        ctx.mmaStore(c0_1, y, r0 + 0, c0 + 8, ldy);
        ctx.mmaStore(c0_2, y, r0 + 0, c0 + 16, ldy);
        ctx.mmaStore(c0_3, y, r0 + 0, c0 + 24, ldy);
        ctx.mmaStore(c0_4, y, r0 + 0, c0 + 32, ldy);
        ctx.mmaStore(c0_5, y, r0 + 0, c0 + 40, ldy);
        ctx.mmaStore(c0_6, y, r0 + 0, c0 + 48, ldy);
        ctx.mmaStore(c0_7, y, r0 + 0, c0 + 56, ldy);
        ctx.mmaStore(c1_0, y, r0 + 16, c0 + 0, ldy);
        ctx.mmaStore(c1_1, y, r0 + 16, c0 + 8, ldy);
        ctx.mmaStore(c1_2, y, r0 + 16, c0 + 16, ldy);
        ctx.mmaStore(c1_3, y, r0 + 16, c0 + 24, ldy);
        ctx.mmaStore(c1_4, y, r0 + 16, c0 + 32, ldy);
        ctx.mmaStore(c1_5, y, r0 + 16, c0 + 40, ldy);
        ctx.mmaStore(c1_6, y, r0 + 16, c0 + 48, ldy);
        ctx.mmaStore(c1_7, y, r0 + 16, c0 + 56, ldy);
    }

    /**
     * Block 128×128, BK 32, 8 warps (2×4), warp tile 64×32 = 4×4 m16n8k16
     * fragments; 8 A ints and 8 B ints per thread per k-step, prefetched into registers while the
     * current stage is multiplied. Global size ({@code m/128·256}, {@code batches·colBlocks}), local (256, 1).
     * Shared memory: 2 stages × (2048 + 2048) ints = 32768 bytes.
     * <p>
     * Batched: work group column {@code groupIdy} is column block {@code groupIdy % colBlocks} of batch
     * b = {@code groupIdy / colBlocks}, whose x tiles start {@code b·xBatch} halves in, whose w tiles {@code b·wBatch}
     * ints after layer ℓ's, and whose output goes {@code b·yRows} rows down and {@code b·yCols} columns right in y
     * (a linear: one batch; attention: one per head, {@code ScoreMatrixAttention}). A key window {from, to}
     * ({@code window}, read on the device) bounds a batch's product when {@code windowUse} is 1 (n runs over its
     * keys: column blocks at or past to − from store nothing) or 2 (k runs over its keys: ⌈(to − from)/32⌉ k-steps
     * of the kSteps the tiles hold); with 0 it is not read.
     */
    public static void mma128x128k32w64x32(KernelContext ctx, HalfFloatArray xh, IntArray wt, IntArray layer, FloatArray y, int kSteps, int layerInts, int ldy,
                                           int colBlocks, int xBatch, int wBatch, int yRows, int yCols, IntArray window, int windowUse) {
        int tid = ctx.localIdx;
        int warp = tid >> 5;
        int wm = warp / 4;
        int wn = warp - wm * 4;
        int rowBlock = ctx.groupIdx;
        int batch = ctx.groupIdy / colBlocks;
        int colBlock = ctx.groupIdy - batch * colBlocks;
        int steps = kSteps;
        int keys = 0;
        if (windowUse != 0) {
            keys = window.get(1) - window.get(0);
        }
        if (windowUse == 2) {
            steps = TornadoMath.min(kSteps, (keys + 31) / 32);
        }
        if (windowUse != 1 || colBlock * 128 < keys) {
            int[] aTile = ctx.allocateIntLocalArray(4096);
            int[] bTile = ctx.allocateIntLocalArray(4096);
            float[] c0_0 = ctx.mmaFragment(0f); float[] c0_1 = ctx.mmaFragment(0f); float[] c0_2 = ctx.mmaFragment(0f); float[] c0_3 = ctx.mmaFragment(0f);
            float[] c1_0 = ctx.mmaFragment(0f); float[] c1_1 = ctx.mmaFragment(0f); float[] c1_2 = ctx.mmaFragment(0f); float[] c1_3 = ctx.mmaFragment(0f);
            float[] c2_0 = ctx.mmaFragment(0f); float[] c2_1 = ctx.mmaFragment(0f); float[] c2_2 = ctx.mmaFragment(0f); float[] c2_3 = ctx.mmaFragment(0f);
            float[] c3_0 = ctx.mmaFragment(0f); float[] c3_1 = ctx.mmaFragment(0f); float[] c3_2 = ctx.mmaFragment(0f); float[] c3_3 = ctx.mmaFragment(0f);
            // x tiles of this row block: kSteps chunks of 4096 halves; w tiles of this column block of
            // layer layer[0] (layers stacked, layerInts apart): kSteps chunks of 2048 ints
            int aBase = batch * xBatch + rowBlock * kSteps * 4096 + 2 * tid;
            int bBase = layer.get(0) * layerInts + batch * wBatch + colBlock * kSteps * 2048 + tid;
            aTile[tid + 0] = (xh.get(aBase + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1).getHalfFloatValue() & 0xFFFF) << 16);
            aTile[tid + 256] = (xh.get(aBase + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 513).getHalfFloatValue() & 0xFFFF) << 16);
            aTile[tid + 512] = (xh.get(aBase + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1025).getHalfFloatValue() & 0xFFFF) << 16);
            aTile[tid + 768] = (xh.get(aBase + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 1537).getHalfFloatValue() & 0xFFFF) << 16);
            aTile[tid + 1024] = (xh.get(aBase + 2048).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 2049).getHalfFloatValue() & 0xFFFF) << 16);
            aTile[tid + 1280] = (xh.get(aBase + 2560).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 2561).getHalfFloatValue() & 0xFFFF) << 16);
            aTile[tid + 1536] = (xh.get(aBase + 3072).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 3073).getHalfFloatValue() & 0xFFFF) << 16);
            aTile[tid + 1792] = (xh.get(aBase + 3584).getHalfFloatValue() & 0xFFFF) | ((xh.get(aBase + 3585).getHalfFloatValue() & 0xFFFF) << 16);
            bTile[tid + 0] = wt.get(bBase + 0);
            bTile[tid + 256] = wt.get(bBase + 256);
            bTile[tid + 512] = wt.get(bBase + 512);
            bTile[tid + 768] = wt.get(bBase + 768);
            bTile[tid + 1024] = wt.get(bBase + 1024);
            bTile[tid + 1280] = wt.get(bBase + 1280);
            bTile[tid + 1536] = wt.get(bBase + 1536);
            bTile[tid + 1792] = wt.get(bBase + 1792);
            ctx.localBarrier();
            int aWarp = wm * 2048;
            int bWarp = wn * 1024;
            for (int ks = 0; ks < steps; ks++) {
                int cur = ks & 1;
                // prefetch k-step ks+1 (the last step reloads itself into the idle stage: harmless)
                int nxt = ks + 1 < steps ? ks + 1 : ks;
                int ga = aBase + nxt * 4096;
                int gb = bBase + nxt * 2048;
                int pa0 = (xh.get(ga + 0).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1).getHalfFloatValue() & 0xFFFF) << 16);
                int pa1 = (xh.get(ga + 512).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 513).getHalfFloatValue() & 0xFFFF) << 16);
                int pa2 = (xh.get(ga + 1024).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1025).getHalfFloatValue() & 0xFFFF) << 16);
                int pa3 = (xh.get(ga + 1536).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 1537).getHalfFloatValue() & 0xFFFF) << 16);
                int pa4 = (xh.get(ga + 2048).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 2049).getHalfFloatValue() & 0xFFFF) << 16);
                int pa5 = (xh.get(ga + 2560).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 2561).getHalfFloatValue() & 0xFFFF) << 16);
                int pa6 = (xh.get(ga + 3072).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 3073).getHalfFloatValue() & 0xFFFF) << 16);
                int pa7 = (xh.get(ga + 3584).getHalfFloatValue() & 0xFFFF) | ((xh.get(ga + 3585).getHalfFloatValue() & 0xFFFF) << 16);
                int pb0 = wt.get(gb + 0);
                int pb1 = wt.get(gb + 256);
                int pb2 = wt.get(gb + 512);
                int pb3 = wt.get(gb + 768);
                int pb4 = wt.get(gb + 1024);
                int pb5 = wt.get(gb + 1280);
                int pb6 = wt.get(gb + 1536);
                int pb7 = wt.get(gb + 1792);
                int aStage = cur * 8192 + aWarp;
                int bStage = cur * 8192 + bWarp;
                HalfFloat[] a0 = ctx.mmaLoadA(aTile, 16, aStage + 0);
                HalfFloat[] a1 = ctx.mmaLoadA(aTile, 16, aStage + 512);
                HalfFloat[] a2 = ctx.mmaLoadA(aTile, 16, aStage + 1024);
                HalfFloat[] a3 = ctx.mmaLoadA(aTile, 16, aStage + 1536);
                HalfFloat[] b0 = ctx.mmaLoadB(bTile, 16, bStage + 0);
                HalfFloat[] b1 = ctx.mmaLoadB(bTile, 16, bStage + 256);
                HalfFloat[] b2 = ctx.mmaLoadB(bTile, 16, bStage + 512);
                HalfFloat[] b3 = ctx.mmaLoadB(bTile, 16, bStage + 768);
                c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
                c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
                c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
                c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
                c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
                c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
                c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
                c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
                c2_0 = ctx.mma(a2, b0, c2_0, MMAShape.M16N8K16);
                c2_1 = ctx.mma(a2, b1, c2_1, MMAShape.M16N8K16);
                c2_2 = ctx.mma(a2, b2, c2_2, MMAShape.M16N8K16);
                c2_3 = ctx.mma(a2, b3, c2_3, MMAShape.M16N8K16);
                c3_0 = ctx.mma(a3, b0, c3_0, MMAShape.M16N8K16);
                c3_1 = ctx.mma(a3, b1, c3_1, MMAShape.M16N8K16);
                c3_2 = ctx.mma(a3, b2, c3_2, MMAShape.M16N8K16);
                c3_3 = ctx.mma(a3, b3, c3_3, MMAShape.M16N8K16);
                a0 = ctx.mmaLoadA(aTile, 16, aStage + 4096);
                a1 = ctx.mmaLoadA(aTile, 16, aStage + 4608);
                a2 = ctx.mmaLoadA(aTile, 16, aStage + 5120);
                a3 = ctx.mmaLoadA(aTile, 16, aStage + 5632);
                b0 = ctx.mmaLoadB(bTile, 16, bStage + 4096);
                b1 = ctx.mmaLoadB(bTile, 16, bStage + 4352);
                b2 = ctx.mmaLoadB(bTile, 16, bStage + 4608);
                b3 = ctx.mmaLoadB(bTile, 16, bStage + 4864);
                c0_0 = ctx.mma(a0, b0, c0_0, MMAShape.M16N8K16);
                c0_1 = ctx.mma(a0, b1, c0_1, MMAShape.M16N8K16);
                c0_2 = ctx.mma(a0, b2, c0_2, MMAShape.M16N8K16);
                c0_3 = ctx.mma(a0, b3, c0_3, MMAShape.M16N8K16);
                c1_0 = ctx.mma(a1, b0, c1_0, MMAShape.M16N8K16);
                c1_1 = ctx.mma(a1, b1, c1_1, MMAShape.M16N8K16);
                c1_2 = ctx.mma(a1, b2, c1_2, MMAShape.M16N8K16);
                c1_3 = ctx.mma(a1, b3, c1_3, MMAShape.M16N8K16);
                c2_0 = ctx.mma(a2, b0, c2_0, MMAShape.M16N8K16);
                c2_1 = ctx.mma(a2, b1, c2_1, MMAShape.M16N8K16);
                c2_2 = ctx.mma(a2, b2, c2_2, MMAShape.M16N8K16);
                c2_3 = ctx.mma(a2, b3, c2_3, MMAShape.M16N8K16);
                c3_0 = ctx.mma(a3, b0, c3_0, MMAShape.M16N8K16);
                c3_1 = ctx.mma(a3, b1, c3_1, MMAShape.M16N8K16);
                c3_2 = ctx.mma(a3, b2, c3_2, MMAShape.M16N8K16);
                c3_3 = ctx.mma(a3, b3, c3_3, MMAShape.M16N8K16);
                int idleA = (1 - cur) * 2048 + tid;
                int idleB = (1 - cur) * 2048 + tid;
                aTile[idleA + 0] = pa0;
                aTile[idleA + 256] = pa1;
                aTile[idleA + 512] = pa2;
                aTile[idleA + 768] = pa3;
                aTile[idleA + 1024] = pa4;
                aTile[idleA + 1280] = pa5;
                aTile[idleA + 1536] = pa6;
                aTile[idleA + 1792] = pa7;
                bTile[idleB + 0] = pb0;
                bTile[idleB + 256] = pb1;
                bTile[idleB + 512] = pb2;
                bTile[idleB + 768] = pb3;
                bTile[idleB + 1024] = pb4;
                bTile[idleB + 1280] = pb5;
                bTile[idleB + 1536] = pb6;
                bTile[idleB + 1792] = pb7;
                ctx.localBarrier();
            }
            int r0 = batch * yRows + rowBlock * 128 + wm * 64;
            int c0 = batch * yCols + colBlock * 128 + wn * 32;
            ctx.mmaStore(c0_0, y, r0 + 0, c0 + 0, ldy);
            ctx.mmaStore(c0_1, y, r0 + 0, c0 + 8, ldy);
            ctx.mmaStore(c0_2, y, r0 + 0, c0 + 16, ldy);
            ctx.mmaStore(c0_3, y, r0 + 0, c0 + 24, ldy);
            ctx.mmaStore(c1_0, y, r0 + 16, c0 + 0, ldy);
            ctx.mmaStore(c1_1, y, r0 + 16, c0 + 8, ldy);
            ctx.mmaStore(c1_2, y, r0 + 16, c0 + 16, ldy);
            ctx.mmaStore(c1_3, y, r0 + 16, c0 + 24, ldy);
            ctx.mmaStore(c2_0, y, r0 + 32, c0 + 0, ldy);
            ctx.mmaStore(c2_1, y, r0 + 32, c0 + 8, ldy);
            ctx.mmaStore(c2_2, y, r0 + 32, c0 + 16, ldy);
            ctx.mmaStore(c2_3, y, r0 + 32, c0 + 24, ldy);
            ctx.mmaStore(c3_0, y, r0 + 48, c0 + 0, ldy);
            ctx.mmaStore(c3_1, y, r0 + 48, c0 + 8, ldy);
            ctx.mmaStore(c3_2, y, r0 + 48, c0 + 16, ldy);
            ctx.mmaStore(c3_3, y, r0 + 48, c0 + 24, ldy);
        }
    }
}
