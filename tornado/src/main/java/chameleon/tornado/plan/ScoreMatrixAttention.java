package chameleon.tornado.plan;

import chameleon.tornado.kernels.MmaGemmKernels;
import chameleon.tornado.kernels.ScoreMatrixKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Attention as two tensor-core GEMMs around a score matrix in device memory ({@link ScoreMatrixKernels}): q, the
 * window's K and V go to fp16 tiles, S = (scale·q)·Kᵀ of every head by the DiT's MMA GEMM kernel (batched over the
 * heads), softmax(S) → fp16 P, O = P·V by the same kernel straight into out [lq, heads, 128]. Six tasks a call; the
 * window is read on the device at each execution, and every step stops at its length (S's column blocks, the
 * softmax, O's k-steps), so a short window costs a short window's work. Head dim 128, query rows a multiple of 128;
 * PTX and CUDA backends only (MMA).
 * <p>
 * The price is memory: S is F32 [heads·lq, cap rounded up to 128] and P fp16 [heads, lq, cap rounded up to 32], e.g.
 * 5.2 GB and 2.6 GB for the DiT's 24 heads × 2 688 rows × 20 240 keys, allocated once per call site.
 * On the H100 (session 11, KernelBench) that call takes 16.5 ms: the S product 10.0 (bound by mmaStore writing 5.2 GB
 * of F32), the softmax 4.1 (S read, P written; 7.7 with session 10's 256 threads a row), the O product 1.8
 * (180 TFLOP/s); RegAttention takes 46.8. An S product that held q's block in local memory across several column
 * blocks (commit 3f5fbaf, {@code ScoreMatrixKernels.scoreBlocks}) measured slower, 17.5 against 16.5 ms with 8 blocks
 * a group, which points at the S product's 5.2 GB of F32 stores rather than its operand loads.
 */
public final class ScoreMatrixAttention implements DeviceAttention {
    private static final int D = 128;
    private static final int ROWS = 128;

    private final int softmaxThreads;

    /**
     * @param softmaxThreads work group of one score row in the softmax, a power of two from 32 to
     *                       {@link ScoreMatrixKernels#SOFTMAX_THREADS}; 0 chooses from the cache's capacity
     *                       ({@link #softmaxThreads(int)})
     */
    public ScoreMatrixAttention(int softmaxThreads) {
        if (softmaxThreads != 0 && (softmaxThreads < 32 || softmaxThreads > ScoreMatrixKernels.SOFTMAX_THREADS
                || Integer.bitCount(softmaxThreads) != 1)) {
            throw new IllegalArgumentException("ScoreMatrixAttention: softmax threads must be 0 (from the capacity) or a "
                    + "power of two in [32, " + ScoreMatrixKernels.SOFTMAX_THREADS + "], got " + softmaxThreads);
        }
        this.softmaxThreads = softmaxThreads;
    }

    /** From {@code -Dchameleon.tornado.softmax.threads} (default 0: from the capacity). */
    public ScoreMatrixAttention() {
        this(intProperty("chameleon.tornado.softmax.threads", 0));
    }

    /**
     * The softmax's work group for rows of up to {@code cap} scores: about 16 scores a thread, 256 to 1 024 threads.
     * A wide group keeps few rows in flight, so that the second read of a long row can find it in L2 (H100, session 11:
     * 20 240 keys, 7.67 → 4.13 ms at 1 024 threads); on short rows most of it would idle through the reduction's
     * barriers (4 400 keys: 0.92 ms at 256, 1.43 at 1 024; cross-attention's 512: 0.20 and 0.72).
     */
    public static int softmaxThreads(int cap) {
        return Math.min(ScoreMatrixKernels.SOFTMAX_THREADS, Math.max(256, Integer.highestOneBit(Math.max(1, cap / 16))));
    }

    private static int intProperty(String name, int otherwise) {
        String value = System.getProperty(name);
        if (value == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be an integer, got '" + value + "'");
        }
    }

    @Override
    public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                      IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
        if (!fits(lq, d)) {
            throw new IllegalArgumentException(task + ": ScoreMatrixAttention needs head_dim " + D
                    + " and query rows a multiple of " + ROWS + ", got head_dim " + d + ", " + lq + " rows");
        }
        int keyPad = MmaLinear.roundUp(cap, 128);          // S's columns: the S product's column blocks
        int keySteps = MmaLinear.roundUp(cap, 32) / 32;    // the O product's k-steps
        int threads = softmaxThreads != 0 ? softmaxThreads : softmaxThreads(cap);
        long scores = (long) heads * lq * keyPad;
        if (scores > Integer.MAX_VALUE - 8 || (long) heads * lq * keySteps * 32 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(task + ": a score matrix of " + heads + " heads × " + lq + " rows × "
                    + keyPad + " keys exceeds one array (2³¹ elements)");
        }
        HalfFloatArray qTiles = new HalfFloatArray(heads * lq * D);          // [heads, lq·128] A tiles
        IntArray kTiles = new IntArray(heads * keyPad * 64);                   // [heads, keyPad·64] B tiles
        IntArray vTiles = new IntArray(heads * keySteps * 32 * 64);            // [heads, keySteps·2048] B tiles
        FloatArray s = new FloatArray((int) scores);                          // [heads·lq, keyPad]
        HalfFloatArray p = new HalfFloatArray(heads * lq * keySteps * 32);    // [heads, lq·keySteps·32] A tiles
        // Uploaded once (zeros) so that the buffers exist on the device; the kernels overwrite them.
        IntArray layer0 = new IntArray(1);       // the GEMM kernel's layer index (its tiles are not stacked by layer)
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, qTiles, kTiles, vTiles, s, p, layer0);
        String name = graph.getTaskGraphName() + "." + task;

        graph.task(task + "_q", MmaGemmKernels::toHalfTiles, q, qTiles, lq, D, D, ROWS, 32, heads * D, heads, scale);
        graph.task(task + "_k", ScoreMatrixKernels::packKeyTiles, k, kTiles, window, heads, keyPad);
        graph.task(task + "_v", ScoreMatrixKernels::packValueTiles, v, vTiles, window, heads, keySteps);

        int colBlocks = keyPad / 128;
        graph.task(task + "_s", MmaGemmKernels::mma128x128k32w64x32, new KernelContext(), qTiles, kTiles, layer0, s,
                D / 32, 0, keyPad, colBlocks, lq * D, keyPad * 64, lq, 0, window, 1);
        grids.addWorkerGrid(name + "_s", MmaLinear.Block.grid(lq / ROWS, heads * colBlocks));

        graph.task(task + "_softmax", ScoreMatrixKernels::softmaxTiles, new KernelContext(), s, p, window, lq, keyPad,
                keySteps, threads);
        WorkerGrid1D softmax = new WorkerGrid1D(heads * lq * threads);
        softmax.setLocalWork(threads, 1, 1);
        grids.addWorkerGrid(name + "_softmax", softmax);

        graph.task(task + "_o", MmaGemmKernels::mma128x128k32w64x32, new KernelContext(), p, vTiles, layer0, out,
                keySteps, 0, heads * D, 1, lq * keySteps * 32, keySteps * 2048, 0, D, window, 2);
        grids.addWorkerGrid(name + "_o", MmaLinear.Block.grid(lq / ROWS, heads));
    }

    /** Whether this attention takes a call of {@code lq} query rows at head_dim {@code d}. */
    public static boolean fits(int lq, int d) {
        return d == D && lq % ROWS == 0 && lq > 0;
    }

}
