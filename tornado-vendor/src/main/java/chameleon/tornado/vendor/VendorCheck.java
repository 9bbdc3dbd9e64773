package chameleon.tornado.vendor;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.tornado.TornadoBackend;
import chameleon.tornado.kernels.SdpaLayoutKernels;
import chameleon.tornado.plan.DeviceAttention;
import chameleon.tornado.plan.DeviceLinear;
import chameleon.tornado.plan.HalfKvCache;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.cudnn.CuDnn;

/**
 * Proves the vendor primitives on the device against a CPU reference and times them.
 *
 * <p>GEMM ({@link CublasLinear}): BF16 random weights (std 0.02), F32 random x; relative error
 * ‖y − ref‖/‖ref‖ over sampled rows (reference in double from the exact BF16 weights); time per call from a
 * graph of 10 calls run with {@code withCUDAGraph()} (the x → F16 task included).
 * Attention ({@link CudnnAttention}): q/k/v gaussian; max |diff| and relative error on sampled rows for the full
 * window and a partial one (checks the mask); time per call (pack + SDPA + unpack), and the bare cuDNN SDPA at
 * head dim d + 8 and d for comparison.
 *
 * <pre>VendorCheck [gemm|attention|all] [iters]</pre>
 */
public final class VendorCheck {
    /** Layer 0 of a one-layer CublasLinear (its weights are not staged). */
    private static final uk.ac.manchester.tornado.api.types.arrays.IntArray LAYER0 = new uk.ac.manchester.tornado.api.types.arrays.IntArray(1);

    private static final int CALLS_PER_GRAPH = 10;

    private VendorCheck() {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "all";
        int iters = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.println("VendorCheck on " + TornadoBackend.deviceDescription());
        if (!what.equals("attention")) {
            gemm(2640, 3072, 3072, CublasLinear.Precision.HALF, iters);
            gemm(2640, 14336, 3072, CublasLinear.Precision.HALF, iters);
            gemm(2640, 3072, 14336, CublasLinear.Precision.HALF, iters);
            gemm(2640, 3072, 3072, CublasLinear.Precision.TF32, iters);
        }
        if (!what.equals("gemm")) {
            cacheAttention(2640, 20240, 24, 128, iters);
            attention(2640, 20240, 24, 128, iters);
        }
    }

    // ---- GEMM ----

    private static void gemm(int m, int n, int k, CublasLinear.Precision precision, int iters) {
        Random r = new Random(7);
        MemorySegment wBits = MemorySegment.ofArray(new short[n * k]);            // [n, k] BF16
        for (long i = 0; i < (long) n * k; i++) {
            float w = (float) (r.nextGaussian() * 0.02);
            wBits.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToRawIntBits(w) >>> 16));
        }
        Tensor weight = Tensor.wrap(DType.BF16, Shape.of(n, k), wBits);
        float[] bias = new float[n];
        for (int i = 0; i < n; i++) {
            bias[i] = (float) (r.nextGaussian() * 0.1);
        }
        FloatArray x = new FloatArray(m * k);                                      // [m, k]
        for (int i = 0; i < m * k; i++) {
            x.set(i, (float) r.nextGaussian());
        }
        FloatArray y = new FloatArray(m * n);                                      // [m, n]
        long t0 = System.nanoTime();
        CublasLinear linear = new CublasLinear(java.util.List.of(weight), java.util.List.of(Tensor.of(bias, n)), precision);
        double prepMs = (System.nanoTime() - t0) / 1e6;
        String name = "gemm " + m + "x" + n + "x" + k + " " + precision;

        // correctness: one call, y back to the host
        TaskGraph g = new TaskGraph("check_" + precision.name().toLowerCase() + "_" + n + "_" + k);
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, x);
        linear.addTo(g, new GridScheduler(), "lin", x, y, m, LAYER0);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        double firstMs;
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            t0 = System.nanoTime();
            plan.execute();
            firstMs = (System.nanoTime() - t0) / 1e6;
        } catch (Exception e) {
            throw new IllegalStateException(name, e);
        }
        double num = 0;
        double den = 0;
        double maxAbs = 0;
        int[] rows = {0, 1, m / 3, m / 2, m - 2, m - 1};
        for (int row : rows) {
            for (int c = 0; c < n; c++) {
                double ref = bias[c];
                for (int i = 0; i < k; i++) {
                    ref += (double) x.get(row * k + i) * weight.getFloat((long) c * k + i);
                }
                double diff = y.get(row * n + c) - ref;
                num += diff * diff;
                den += ref * ref;
                maxAbs = Math.max(maxAbs, Math.abs(diff));
            }
        }
        // timing: CALLS_PER_GRAPH calls in one graph, CUDA graph replay
        TaskGraph t = new TaskGraph("time_" + precision.name().toLowerCase() + "_" + n + "_" + k);
        t.transferToDevice(DataTransferMode.FIRST_EXECUTION, x);
        for (int c = 0; c < CALLS_PER_GRAPH; c++) {
            linear.addTo(t, new GridScheduler(), "lin" + c, x, y, m, LAYER0);
        }
        t.transferToHost(DataTransferMode.UNDER_DEMAND, y);
        double[] ms = time(t, iters, p -> { });
        double perCall = ms[1] / CALLS_PER_GRAPH;
        double tflops = 2.0 * m * n * k / (perCall * 1e-3) / 1e12;
        String bare = precision == CublasLinear.Precision.HALF ? bareGemm(m, n, k, iters) : "";
        System.out.printf("RESULT %s: rel err %.2e, max |diff| %.2e over %d rows; per call %.3f ms = %.0f TFLOP/s"
                        + " (graph of %d, CUDA graph, median of %d; first graph run %.0f ms; check graph first run %.0f ms;"
                        + " weight prep %.0f ms)%s%n",
                name, Math.sqrt(num / den), maxAbs, rows.length, perCall, tflops, CALLS_PER_GRAPH, iters, ms[0], firstMs,
                prepMs, bare);
    }

    /**
     * The library task alone (F16 operands already on the device), 10 per graph: the cost of cuBLAS itself, as the
     * engine calls it (GemmEx, F32 out) and in the variants that would change what the block's other tasks read:
     * F16 out (GemmEx and cuBLASLt). (A workspace set through CuBlasOptions cannot be timed this way: TornadoVM's
     * provider allocates it at the first dispatch, inside the CUDA-graph capture, which CUDA refuses with
     * CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; H100, 2026-12-07.)
     */
    private static String bareGemm(int m, int n, int k, int iters) {
        HalfFloatArray w = new HalfFloatArray(n * k);
        HalfFloatArray xh = new HalfFloatArray(m * k);
        FloatArray y = new FloatArray(m * n);
        HalfFloatArray yh = new HalfFloatArray(m * n);
        int opT = uk.ac.manchester.tornado.cublas.enums.CuBlasOperation.CUBLAS_OP_T.operation();
        int opN = uk.ac.manchester.tornado.cublas.enums.CuBlasOperation.CUBLAS_OP_N.operation();
        StringBuilder b = new StringBuilder();
        String[] variants = {"GemmExFP16FP32", "GemmExFP16 (F16 out)", "ltMatmulFP16 (F16 out)"};
        for (int v = 0; v < variants.length; v++) {
            TaskGraph g = new TaskGraph("bare_gemm_" + n + "_" + k + "_" + v);
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, w, xh);
            for (int c = 0; c < CALLS_PER_GRAPH; c++) {
                String id = "gemm" + c;
                switch (v) {
                    case 0 -> g.libraryTask(id,
                            uk.ac.manchester.tornado.cublas.CuBlas::cublasGemmExFP16FP32, opT, opN, n, m, k, 1f, w, k,
                            xh, k, 0f, y, n);
                    case 1 -> g.libraryTask(id, uk.ac.manchester.tornado.cublas.CuBlas::cublasGemmExFP16, opT, opN,
                            n, m, k, 1f, w, k, xh, k, 0f, yh, n);
                    case 2 -> g.libraryTask(id, uk.ac.manchester.tornado.cublas.CuBlasLt::ltMatmulFP16, opT, opN,
                            n, m, k, 1f, w, k, xh, k, 0f, yh, n);
                    default -> throw new IllegalStateException("variant " + v);
                }
            }
            g.transferToHost(DataTransferMode.UNDER_DEMAND, y, yh);
            double perCall = time(g, iters, p -> { })[1] / CALLS_PER_GRAPH;
            b.append(String.format("; bare %s %.3f ms = %.0f TFLOP/s", variants[v], perCall,
                    2.0 * m * n * k / (perCall * 1e-3) / 1e12));
        }
        return b.toString();
    }

    /** {first execution ms, median of the next iters ms} of a graph run with withCUDAGraph(). */
    private static double[] time(TaskGraph graph, int iters, Consumer<TornadoExecutionPlan> setup) {
        return time(graph, iters, setup, true);
    }

    private static double[] time(TaskGraph graph, int iters, Consumer<TornadoExecutionPlan> setup, boolean cudaGraph) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            setup.accept(plan);
            if (cudaGraph) {
                plan.withCUDAGraph();
            }
            long t0 = System.nanoTime();
            plan.execute();
            double first = (System.nanoTime() - t0) / 1e6;
            double[] runs = new double[iters];
            for (int i = 0; i < iters; i++) {
                long a = System.nanoTime();
                plan.execute();
                runs[i] = (System.nanoTime() - a) / 1e6;
            }
            Arrays.sort(runs);
            return new double[] {first, runs[iters / 2]};
        } catch (Exception e) {
            throw new IllegalStateException("graph " + graph.getTaskGraphName(), e);
        }
    }

    // ---- attention ----

    /**
     * {@link CudnnCacheAttention} over a two-layer stacked cache: whole layers read in place, a window across the
     * layers' rows packed at its length; then the time a block pays for it (a chunk's 2 640 rows written to the F16
     * cache, q packed, SDPA over layer 1 in place, output unpacked; no CUDA graph).
     */
    private static void cacheAttention(int lq, int cap, int heads, int d, int iters) {
        Random r = new Random(12);
        FloatArray q = gaussian(r, lq * heads * d);                                // [lq, heads, d]
        FloatArray k = gaussian(r, 2 * cap * heads * d);                           // [2·cap, heads, d]
        FloatArray v = gaussian(r, 2 * cap * heads * d);
        FloatArray out = new FloatArray(lq * heads * d);
        IntArray window = new IntArray(2);
        float scale = (float) (1 / Math.sqrt(d));
        GridScheduler grids = new GridScheduler();
        TaskGraph g = new TaskGraph("cache_attention_check");
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, window);
        new CudnnCacheAttention().addTo(g, grids, "attn", q, k, v, window, out, lq, cap, heads, d, scale);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        int[][] windows = {{cap, 2 * cap}, {cap / 3, cap / 3 + 4400}, {0, cap}};
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            plan.withGridScheduler(grids);
            for (int[] w : windows) {
                window.set(0, w[0]);
                window.set(1, w[1]);
                long t0 = System.nanoTime();
                plan.execute();
                double ms = (System.nanoTime() - t0) / 1e6;
                compareAttention(q, k, v, out, w[0], w[1], lq, heads, d, scale, ms);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cache attention check", e);
        }
        window.set(0, cap);
        window.set(1, 2 * cap);
        // a block's use: the chunk's lq rows written into the F16 cache (no roll), then SDPA over layer 1 in place
        HalfKvCache cache = new HalfKvCache(2, cap, heads, d);
        IntArray rows = new IntArray(3);                                           // {source 0, target, count}
        rows.set(1, 2 * cap - lq);
        rows.set(2, lq);
        GridScheduler tg = new GridScheduler();
        TaskGraph t = new TaskGraph("cache_attention_time");
        t.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, window, rows)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, cache.arrays());
        cache.addWrite(t, tg, "write", k, v, rows, 0, 1, 2);
        new CudnnCacheAttention().addTo(t, tg, "attn", q, cache, window, out, lq, scale);
        t.transferToHost(DataTransferMode.UNDER_DEMAND, out);
        double[] ms = time(t, iters, p -> p.withGridScheduler(tg), false);
        double flops = 4.0 * lq * cap * heads * d;
        System.out.printf("RESULT attention CudnnCacheAttention lq %d x window %d x %d heads x %d: %.3f ms per call = %.0f"
                + " TFLOP/s (%d rows written + SDPA in place at d %d + pack q/unpack; no CUDA graph, median of %d; first"
                + " run %.0f ms)%n", lq, cap, heads, d, ms[1], flops / (ms[1] * 1e-3) / 1e12, lq, d, iters, ms[0]);
    }

    private static void attention(int lq, int cap, int heads, int d, int iters) {
        Random r = new Random(11);
        FloatArray q = gaussian(r, lq * heads * d);                                // [lq, heads, d]
        FloatArray k = gaussian(r, cap * heads * d);                               // [cap, heads, d]
        FloatArray v = gaussian(r, cap * heads * d);
        FloatArray out = new FloatArray(lq * heads * d);
        IntArray window = new IntArray(2);
        float scale = (float) (1 / Math.sqrt(d));
        DeviceAttention attn = new CudnnAttention();
        TaskGraph g = new TaskGraph("attention_check");
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, window);
        attn.addTo(g, new GridScheduler(), "attn", q, k, v, window, out, lq, cap, heads, d, scale);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        int[][] windows = {{0, cap}, {cap / 3, cap / 3 + 4400}};
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            for (int[] w : windows) {
                window.set(0, w[0]);
                window.set(1, w[1]);
                long t0 = System.nanoTime();
                plan.execute();
                double ms = (System.nanoTime() - t0) / 1e6;
                compareAttention(q, k, v, out, w[0], w[1], lq, heads, d, scale, ms);
            }
        } catch (Exception e) {
            throw new IllegalStateException("attention check", e);
        }
        // timing: the whole CudnnAttention call (window read at run time)
        window.set(0, 0);
        window.set(1, cap);
        TaskGraph t = new TaskGraph("attention_time");
        t.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, window);
        attn.addTo(t, new GridScheduler(), "attn", q, k, v, window, out, lq, cap, heads, d, scale);
        t.transferToHost(DataTransferMode.UNDER_DEMAND, out);
        double flops = 4.0 * lq * cap * heads * d;
        double[] ms = time(t, iters, p -> { });
        System.out.printf("RESULT attention CudnnAttention lq %d x window %d x %d heads x %d: %.3f ms per call = %.0f TFLOP/s"
                + " (pack + SDPA at d %d + unpack; CUDA graph, median of %d; first run %.0f ms)%n",
                lq, cap, heads, d, ms[1], flops / (ms[1] * 1e-3) / 1e12, d + SdpaLayoutKernels.MASK_COLUMNS, iters, ms[0]);
        // Keys.FULL: no mask column (window must be the whole cap)
        DeviceAttention full = new CudnnAttention(CudnnAttention.Keys.FULL);
        TaskGraph f = new TaskGraph("attention_full_time");
        f.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, window);
        full.addTo(f, new GridScheduler(), "attn", q, k, v, window, out, lq, cap, heads, d, scale);
        f.transferToHost(DataTransferMode.UNDER_DEMAND, out);
        double[] fm = time(f, iters, p -> { });
        System.out.printf("RESULT attention CudnnAttention Keys.FULL: %.3f ms per call = %.0f TFLOP/s (pack + SDPA at d %d"
                + " + unpack; first run %.0f ms)%n", fm[1], flops / (fm[1] * 1e-3) / 1e12, d, fm[0]);
        TaskGraph fc = new TaskGraph("attention_full_check");
        fc.transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, window);
        full.addTo(fc, new GridScheduler(), "attn", q, k, v, window, out, lq, cap, heads, d, scale);
        fc.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(fc.snapshot())) {
            long t0 = System.nanoTime();
            plan.execute();
            compareAttention(q, k, v, out, 0, cap, lq, heads, d, scale, (System.nanoTime() - t0) / 1e6);
        } catch (Exception e) {
            throw new IllegalStateException("attention FULL", e);
        }
        // the bare library task, already packed F16 BHSD: at the padded head dim and at d itself
        for (int dp : new int[] {d + SdpaLayoutKernels.MASK_COLUMNS, d}) {
            HalfFloatArray qh = new HalfFloatArray(heads * lq * dp);
            HalfFloatArray kh = new HalfFloatArray(heads * cap * dp);
            HalfFloatArray vh = new HalfFloatArray(heads * cap * dp);
            HalfFloatArray oh = new HalfFloatArray(heads * lq * dp);
            TaskGraph s = new TaskGraph("sdpa_d" + dp);
            s.transferToDevice(DataTransferMode.FIRST_EXECUTION, qh, kh, vh)
                    .libraryTask("sdpa", CuDnn::sdpaForward, qh, kh, vh, oh, 1, heads, lq, cap, dp, scale, false)
                    .transferToHost(DataTransferMode.UNDER_DEMAND, oh);
            double[] sm = time(s, iters, p -> { });
            System.out.printf("RESULT attention bare cuDNN sdpaForward F16 BHSD head dim %d: %.3f ms per call = %.0f TFLOP/s"
                    + " (counting d %d; first run %.0f ms)%n", dp, sm[1], flops / (sm[1] * 1e-3) / 1e12, d, sm[0]);
        }
    }

    private static void compareAttention(FloatArray q, FloatArray k, FloatArray v, FloatArray out, int from, int to,
                                         int lq, int heads, int d, float scale, double ms) {
        int[] rows = {0, lq / 2, lq - 1};
        double num = 0;
        double den = 0;
        double maxAbs = 0;
        double[] s = new double[to - from];
        for (int row : rows) {
            for (int h = 0; h < heads; h++) {
                int qo = (row * heads + h) * d;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = from; j < to; j++) {
                    double dot = 0;
                    int ko = (j * heads + h) * d;
                    for (int c = 0; c < d; c++) {
                        dot += (double) q.get(qo + c) * k.get(ko + c);
                    }
                    s[j - from] = dot * scale;
                    max = Math.max(max, s[j - from]);
                }
                double sum = 0;
                for (int j = 0; j < to - from; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int c = 0; c < d; c++) {
                    double ref = 0;
                    for (int j = from; j < to; j++) {
                        ref += s[j - from] * v.get((j * heads + h) * d + c);
                    }
                    ref /= sum;
                    double diff = out.get(qo + c) - ref;
                    num += diff * diff;
                    den += ref * ref;
                    maxAbs = Math.max(maxAbs, Math.abs(diff));
                }
            }
        }
        System.out.printf("RESULT attention check window [%d, %d): rel err %.2e, max |diff| %.2e over %d rows x %d heads"
                + " (execute incl. upload %.0f ms)%n", from, to, Math.sqrt(num / den), maxAbs, rows.length, heads, ms);
    }

    private static FloatArray gaussian(Random r, int size) {
        FloatArray a = new FloatArray(size);
        for (int i = 0; i < size; i++) {
            a.set(i, (float) r.nextGaussian());
        }
        return a;
    }
}
