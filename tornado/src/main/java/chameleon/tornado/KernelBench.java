package chameleon.tornado;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.AttentionKernels;
import chameleon.tornado.kernels.GemmKernels;
import chameleon.tornado.plan.DeviceAttention;
import chameleon.tornado.plan.HostCopy;
import chameleon.tornado.plan.MmaLinear;
import chameleon.tornado.plan.MmaAttention;
import chameleon.tornado.plan.RegAttention;
import chameleon.tornado.plan.ScoreMatrixAttention;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * Checks and times the fast kernels next to the current ones, in one process on the default device:
 * {@link MmaLinear} (each {@link MmaLinear.Block}) against {@link GemmKernels#linearBf16} at the DiT's
 * GEMM shapes, and {@link MmaAttention} and {@link RegAttention} against {@link AttentionKernels#attentionTiled}
 * at the full self-attention shape (2688 query rows: the DiT's 2640 padded to the GEMM tile). Correctness: relative error ‖out − ref‖/‖ref‖ on sampled rows against a CPU
 * reference in double (for MMA: of the fp16-rounded operands, and separately of the exact bf16/fp32
 * operands), outputs poisoned with NaN first and checked finite everywhere. Timing: device kernel time
 * from TornadoVM's profiler (all tasks of the layer), median of the timed executions, data resident.
 *
 * <pre>KernelBench [full|small|attention|attention-quick]</pre> small: shapes for a CPU OpenCL device (PoCL);
 * attention: the attention cases only; attention-quick: MMA and register attention at the full and the first-chunk
 * window and over an odd window, with {@link ScoreMatrixAttention}'s softmax widths. MMA cases are skipped where the backend has no MMA (only PTX and CUDA lower it).
 */
public final class KernelBench {
    /** One checked and timed case: the printed line, its relative error (vs the fp16 reference for MMA). */
    public record Result(String line, double relErr, int nonFinite, boolean failed) {
    }

    private static final List<Result> TABLE = new ArrayList<>();

    private KernelBench() {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "full";
        if (!List.of("full", "small", "attention", "attention-quick").contains(what)) {
            throw new IllegalArgumentException("KernelBench argument: full, small, attention or attention-quick, got " + what);
        }
        if (what.equals("attention-quick")) {
            quickAttention();
            return;
        }
        run(what.equals("small"), !what.equals("attention"));
    }

    /** The attention kernels at the full and the first-chunk window and over an odd window only (no GEMM, no old tiled kernel). */
    private static void quickAttention() {
        TABLE.clear();
        boolean mma = backend() == TornadoBackendType.MMA;
        System.out.println("KernelBench attention-quick on " + TornadoBackend.deviceDescription());
        List<String> kinds = new ArrayList<>();
        if (mma) {
            kinds.addAll(SCORE_VARIANTS);
            kinds.add("attention mma");
        }
        kinds.add("attention reg");
        attention(2688, 20240, 24, 3, 0, 20240, kinds);
        attention(2688, 4400, 24, 3, 0, 4400, kinds);
        attention(640, 5000, 4, 1, 37, 4901, kinds);
        printSummary();
    }

    private static void printSummary() {
        System.out.println();
        System.out.println("== summary (" + TornadoBackend.deviceDescription() + ")");
        TABLE.forEach(r -> System.out.println(r.line()));
    }

    /** Runs every case (small: PoCL-sized shapes, no timing of the old kernels) and prints the summary. */
    public static List<Result> run(boolean small) {
        return run(small, true);
    }

    /** As {@link #run(boolean)}; {@code gemm} false runs the attention cases only. */
    public static List<Result> run(boolean small, boolean gemm) {
        TABLE.clear();
        TornadoBackendType backend = backend();
        System.out.println("KernelBench on " + TornadoBackend.deviceDescription() + (small ? " (small shapes)" : ""));
        boolean mma = backend == TornadoBackendType.MMA;
        if (!mma) {
            System.out.println("MMA GEMM and attention: skipped (the default device's backend lowers no KernelContext MMA; PTX/CUDA only)");
        } else if (gemm) {
            // odd sizes: k not a multiple of 16/32, n not a multiple of the block width
            for (MmaLinear.Block b : MmaLinear.Block.values()) {
                gemm(b, 128, 200, 100, 1, false);
                gemm(b, 256, 192, 3072, 1, false);
            }
            if (!small) {
                int[][] shapes = {{3072, 3072}, {14336, 3072}, {3072, 14336}};
                for (int[] s : shapes) {
                    for (MmaLinear.Block b : MmaLinear.Block.values()) {
                        gemm(b, 2688, s[0], s[1], 5, false);
                    }
                    gemm(null, 2688, s[0], s[1], 2, true);
                }
            }
        }
        if (small) {
            attention(100, 300, 2, 1, 2, 280, false, false);
        } else {
            // 2688: the DiT's 2640 token rows padded to the GEMM tile, as the resident forward runs them
            attention(2688, 20240, 24, 3, 0, 20240, true, mma);
            attention(2688, 4400, 24, 3, 0, 4400, false, mma);
            attention(640, 5000, 4, 1, 37, 4901, false, mma);
        }
        printSummary();
        return List.copyOf(TABLE);
    }

    private enum TornadoBackendType { MMA, OTHER }

    private static TornadoBackendType backend() {
        return chameleon.tornado.plan.DeviceKernels.deviceHasMma() ? TornadoBackendType.MMA : TornadoBackendType.OTHER;
    }

    /** Deterministic pseudo-random normal-ish values (sum of 4 uniforms, scaled), fast for 10⁸ elements. */
    private static void fill(float[] a, long seed, float scale) {
        long s = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < a.length; i++) {
            float u = 0;
            for (int r = 0; r < 4; r++) {
                s = s * 6364136223846793005L + 1442695040888963407L;
                u += (s >>> 40) / (float) (1L << 24);
            }
            a[i] = (u - 2f) * 1.7320508f * scale;
        }
    }

    /** Times {@code iters} executions after the first; returns {median kernel ms, median wall ms, first ms}. */
    private static double[] time(TornadoExecutionPlan plan, int iters, TornadoExecutionResult[] last) {
        long t0 = System.nanoTime();
        last[0] = plan.execute();
        double first = (System.nanoTime() - t0) / 1e6;
        double[] kernel = new double[iters];
        double[] wall = new double[iters];
        for (int i = 0; i < iters; i++) {
            long a = System.nanoTime();
            last[0] = plan.execute();
            wall[i] = (System.nanoTime() - a) / 1e6;
            kernel[i] = last[0].getProfilerResult().getDeviceKernelTime() / 1e6;
        }
        Arrays.sort(kernel);
        Arrays.sort(wall);
        return new double[] {kernel[iters / 2], wall[iters / 2], first};
    }

    private static final java.util.Map<String, Object[]> GEMM_DATA = new java.util.HashMap<>();

    /** One GEMM case; block null = the current @Parallel bf16 kernel. */
    private static void gemm(MmaLinear.Block block, int m, int n, int k, int iters, boolean old) {
        String key = m + "x" + n + "x" + k;
        Object[] data = GEMM_DATA.computeIfAbsent(key, kk -> {
            float[] w = new float[n * k];
            float[] b = new float[n];
            float[] x = new float[m * k];
            fill(w, n * 31L + k, 0.02f);
            fill(b, n * 7L, 0.02f);
            fill(x, m + 13L * k, 1f);
            Tensor wt = Tensor.of(w, n, k).convertTo(DType.BF16);
            Tensor bt = Tensor.of(b, n);
            int[] rows = {0, 1, m / 3, m / 2 + 5, m - 1};
            double[][] ref16 = new double[rows.length][];
            double[][] exact = new double[rows.length][];
            float[] wRow = new float[k];
            for (int ri = 0; ri < rows.length; ri++) {
                ref16[ri] = MmaLinear.reference(wt, bt, x, rows[ri]);
                exact[ri] = new double[n];
                for (int c = 0; c < n; c++) {
                    wt.readFloats((long) c * k, wRow, 0, k);
                    double s = 0;
                    for (int j = 0; j < k; j++) {
                        s += (double) x[rows[ri] * k + j] * wRow[j];
                    }
                    exact[ri][c] = s + b[c];
                }
            }
            return new Object[] {wt, bt, x, rows, ref16, exact};
        });
        Tensor wt = (Tensor) data[0];
        Tensor bt = (Tensor) data[1];
        float[] xv = (float[]) data[2];
        int[] rows = (int[]) data[3];
        double[][] ref16 = (double[][]) data[4];
        double[][] exact = (double[][]) data[5];
        String name = block == null ? "gemm java bf16 (GemmKernels)" : "gemm mma " + block.name().toLowerCase(Locale.ROOT);
        FloatArray x = new FloatArray(m * k);
        HostCopy.put(xv, x);
        FloatArray y = new FloatArray(m * n);
        y.init(Float.NaN);
        TaskGraph g = new TaskGraph("bench_" + (block == null ? "old" : block.name()) + "_" + n + "_" + k + "_" + m);
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, x, y);
        GridScheduler grids = new GridScheduler();
        String conv = "";
        try {
            if (block == null) {
                ShortArray w = new ShortArray(n * k);
                HostCopy.putBits(wt, w);
                FloatArray pow2 = FloatArray.fromArray(GemmKernels.bf16Pow2());
                FloatArray b = HostCopy.floats(bt, n, 0f);
                IntArray dims = IntArray.fromElements(m);
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, pow2, b, dims)
                        .task("gemm", GemmKernels::linearBf16, x, w, pow2, b, y, dims, m / 4, (n + 3) / 4, k, n);
            } else {
                if (iters == 1) {
                    // correctness cases hold two layers and select the second at run time
                    float[] dw = new float[n * k];
                    float[] db = new float[n];
                    fill(dw, 99, 0.05f);
                    fill(db, 98, 1f);
                    MmaLinear lin = new MmaLinear(List.of(Tensor.of(dw, n, k).convertTo(DType.BF16), wt),
                            List.of(Tensor.of(db, n), bt), block);
                    conv = String.format(Locale.ROOT, " (layer 1 of 2; bf16→fp16 max |err| %.2e)", lin.maxConversionError());
                    IntArray layer = IntArray.fromElements(1);
                    g.transferToDevice(DataTransferMode.FIRST_EXECUTION, layer);
                    lin.addTo(g, grids, "linear", x, y, m, layer);
                } else {
                    MmaLinear lin = new MmaLinear(wt, bt, block);
                    conv = String.format(Locale.ROOT, " (bf16→fp16 max |err| %.2e)", lin.maxConversionError());
                    lin.addTo(g, grids, "linear", x, y, m);
                }
            }
            g.transferToHost(DataTransferMode.UNDER_DEMAND, y);
            TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot()).withProfiler(ProfilerMode.SILENT);
            if (!grids.keySet().isEmpty()) {
                plan.withGridScheduler(grids);
            }
            TornadoExecutionResult[] last = new TornadoExecutionResult[1];
            double[] t = time(plan, iters, last);
            last[0].transferToHost(y);
            int notFinite = 0;
            for (int i = 0; i < m * n; i++) {
                if (!Float.isFinite(y.get(i))) {
                    notFinite++;
                }
            }
            double e16 = 0, n16 = 0, eEx = 0, nEx = 0;
            for (int ri = 0; ri < rows.length; ri++) {
                for (int c = 0; c < n; c++) {
                    double got = y.get(rows[ri] * n + c);
                    e16 += (got - ref16[ri][c]) * (got - ref16[ri][c]);
                    n16 += ref16[ri][c] * ref16[ri][c];
                    eEx += (got - exact[ri][c]) * (got - exact[ri][c]);
                    nEx += exact[ri][c] * exact[ri][c];
                }
            }
            double flops = 2.0 * m * n * k;
            String line = String.format(Locale.ROOT,
                    "%-34s m %5d n %5d k %5d: kernel %8.3f ms %7.2f TFLOP/s | wall %8.3f ms | first %7.0f ms | rel err vs fp16-ref %.1e, vs exact %.1e | non-finite %d%s",
                    name, m, n, k, t[0], flops / t[0] / 1e9, t[1], t[2], Math.sqrt(e16 / n16), Math.sqrt(eEx / nEx), notFinite, conv);
            System.out.println(line);
            TABLE.add(new Result(line, Math.sqrt(e16 / n16), notFinite, false));
            plan.freeDeviceMemory();
            plan.close();
        } catch (Exception | Error e) {
            String line = String.format(Locale.ROOT, "%-34s m %5d n %5d k %5d: FAILED %s", name, m, n, k, e);
            System.out.println(line);
            e.printStackTrace(System.out);
            TABLE.add(new Result(line, Double.NaN, -1, true));
        }
    }

    /**
     * Attention at one shape over window {from, to}: {@link ScoreMatrixAttention} and {@link MmaAttention} (mma = true),
     * {@link RegAttention}, and
     * (old = true) the tiled kernel.
     */
    private static void attention(int lq, int cap, int heads, int iters, int from, int to, boolean old, boolean mma) {
        List<String> kinds = new ArrayList<>();
        if (mma) {
            kinds.add("attention scores");
            kinds.add("attention mma");
        }
        kinds.add("attention reg");
        if (old) {
            kinds.add("attention tiled");
        }
        attention(lq, cap, heads, iters, from, to, kinds);
    }

    /** ScoreMatrixAttention with its softmax width from the capacity (the default), and at 256, 512 and 1 024 threads a row. */
    private static final List<String> SCORE_VARIANTS = List.of("attention scores", "attention scores t256",
            "attention scores t512", "attention scores t1024");

    /** The attention kinds named ("attention reg|tiled|mma|scores[ tT]") at one shape, against a double reference. */
    private static void attention(int lq, int cap, int heads, int iters, int from, int to, List<String> kinds) {
        int d = 128;
        float[] qv = new float[lq * heads * d];
        float[] kv = new float[cap * heads * d];
        float[] vv = new float[cap * heads * d];
        fill(qv, 1, 1f);
        fill(kv, 2, 1f);
        fill(vv, 3, 1f);
        float scale = (float) (1 / Math.sqrt(d));
        // reference rows (query, head), in double
        int[][] samples = new int[16][];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = new int[] {(int) ((long) i * 7919 % lq), i * 5 % heads};
        }
        samples[0][0] = lq - 1;
        double[][] ref = new double[samples.length][d];
        for (int si = 0; si < samples.length; si++) {
            int qi = samples[si][0], h = samples[si][1];
            double[] s = new double[to - from];
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = from; j < to; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += (double) qv[(qi * heads + h) * d + c] * kv[(j * heads + h) * d + c];
                }
                s[j - from] = dot * scale;
                mx = Math.max(mx, s[j - from]);
            }
            double sum = 0;
            for (int j = from; j < to; j++) {
                double p = Math.exp(s[j - from] - mx);
                sum += p;
                for (int c = 0; c < d; c++) {
                    ref[si][c] += p * vv[(j * heads + h) * d + c];
                }
            }
            for (int c = 0; c < d; c++) {
                ref[si][c] /= sum;
            }
        }
        FloatArray q = new FloatArray(qv.length), k = new FloatArray(kv.length), v = new FloatArray(vv.length);
        HostCopy.put(qv, q);
        HostCopy.put(kv, k);
        HostCopy.put(vv, v);
        IntArray window = IntArray.fromElements(from, to);
        double flops = 4.0 * lq * (to - from) * heads * d;
        for (String kind : kinds) {
            FloatArray out = new FloatArray(lq * heads * d);
            out.init(Float.NaN);
            TaskGraph g = new TaskGraph("bench_attn_" + kind.substring("attention ".length()).replace(' ', '_') + "_" + lq + "_" + cap + "_" + from);
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, window, out);
            GridScheduler grids = new GridScheduler();
            try {
                if (!kind.endsWith("tiled")) {
                    DeviceAttention a = kind.endsWith("mma") ? new MmaAttention()
                            : kind.endsWith("scores") ? new ScoreMatrixAttention()
                            : kind.startsWith("attention scores t")
                            ? new ScoreMatrixAttention(Integer.parseInt(kind.substring("attention scores t".length())))
                            : new RegAttention();
                    a.addTo(g, grids, "attention", q, k, v, window, out, lq, cap, heads, d, scale);
                } else {
                    FloatArray sc = FloatArray.fromElements(scale);
                    int bq = AttentionKernels.BQ;
                    g.transferToDevice(DataTransferMode.FIRST_EXECUTION, sc)
                            .task("attention", AttentionKernels::attentionTiled, new KernelContext(), q, k, v, out, window, sc, lq, heads, d, bq);
                    WorkerGrid2D grid = new WorkerGrid2D((lq + bq - 1) / bq * bq, heads);
                    grid.setLocalWork(bq, 1, 1);
                    grids.addWorkerGrid(g.getTaskGraphName() + ".attention", grid);
                }
                g.transferToHost(DataTransferMode.UNDER_DEMAND, out);
                TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot()).withProfiler(ProfilerMode.SILENT)
                        .withGridScheduler(grids);
                TornadoExecutionResult[] last = new TornadoExecutionResult[1];
                double[] t = time(plan, iters, last);
                last[0].transferToHost(out);
                int notFinite = 0;
                for (int i = 0; i < out.getSize(); i++) {
                    if (!Float.isFinite(out.get(i))) {
                        notFinite++;
                    }
                }
                double err = 0, norm = 0;
                for (int si = 0; si < samples.length; si++) {
                    int o = (samples[si][0] * heads + samples[si][1]) * d;
                    for (int c = 0; c < d; c++) {
                        double diff = out.get(o + c) - ref[si][c];
                        err += diff * diff;
                        norm += ref[si][c] * ref[si][c];
                    }
                }
                String line = String.format(Locale.ROOT,
                        "%-34s lq %5d kv %5d [%d,%d) heads %d: kernel %8.3f ms %7.2f TFLOP/s | wall %8.3f ms | first %7.0f ms | rel err %.1e | non-finite %d",
                        kind, lq, cap, from, to, heads, t[0], flops / t[0] / 1e9, t[1], t[2], Math.sqrt(err / norm), notFinite);
                System.out.println(line);
                TABLE.add(new Result(line, Math.sqrt(err / norm), notFinite, false));
                plan.freeDeviceMemory();
                plan.close();
            } catch (Exception | Error e) {
                String line = String.format(Locale.ROOT, "%-34s lq %5d kv %5d: FAILED %s", kind, lq, cap, e);
                System.out.println(line);
                e.printStackTrace(System.out);
                TABLE.add(new Result(line, Double.NaN, -1, true));
            }
        }
    }
}
