package chameleon.tornado.plan;

import chameleon.tornado.kernels.AttentionKernels;
import chameleon.tornado.kernels.RowKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Shape-specialised plans of the row, elementwise and attention kernels. Each owns its host-side
 * arrays; the backend fills the inputs, calls {@link Plan#run()} and reads the outputs. Every input is
 * uploaded and every output downloaded on each execution (activations live on the host in this slice).
 */
public final class OpPlans {
    private OpPlans() {
    }

    private static TaskGraph graph(String prefix) {
        return new TaskGraph(Plan.uniqueName(prefix));
    }

    /** LayerNorm over rows of x [m, n] with the affine [2, n] = (bias, weight) (zeros, ones for none). */
    public record LayerNorm(FloatArray x, FloatArray affine, FloatArray y, Plan plan) {
        public static LayerNorm create(int m, int n, float eps) {
            FloatArray x = new FloatArray(m * n), affine = new FloatArray(2 * n), y = new FloatArray(m * n);
            FloatArray zeros = new FloatArray(n);
            zeros.init(0f);
            IntArray layer0 = new IntArray(1); // one affine: affineSize 0
            TaskGraph g = graph("layerNorm")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, layer0, zeros)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, affine);
            NormTasks.layerNorm(g, new GridScheduler(), "layerNorm", x, affine, layer0, 0, zeros, y, m, n, eps)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            return new LayerNorm(x, affine, y, Plan.of(g, "layerNorm", NormTasks.grid(m)));
        }
    }

    /** RMSNorm over rows of x [m, n] with weight w (ones for none). */
    public record RmsNorm(FloatArray x, FloatArray w, FloatArray y, Plan plan) {
        public static RmsNorm create(int m, int n, float eps) {
            FloatArray x = new FloatArray(m * n), w = new FloatArray(n), y = new FloatArray(m * n);
            FloatArray zeros = new FloatArray(n);  // no bias
            zeros.init(0f);
            IntArray layer0 = new IntArray(1); // one weight: layerSize 0
            TaskGraph g = graph("rmsNorm")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, layer0, zeros)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, w);
            NormTasks.rmsNorm(g, new GridScheduler(), "rmsNorm", x, zeros, w, layer0, 0, y, m, n, eps)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            return new RmsNorm(x, w, y, Plan.of(g, "rmsNorm", NormTasks.grid(m)));
        }
    }

    /** In-place modulation of x [m, n] by shift/scale [groups, n]. */
    public record Modulate(FloatArray x, FloatArray shift, FloatArray scale, Plan plan) {
        public static Modulate create(int m, int n, int groups) {
            FloatArray x = new FloatArray(m * n), sh = new FloatArray(groups * n), sc = new FloatArray(groups * n);
            TaskGraph g = graph("modulate")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, sh, sc)
                    .task("modulate", RowKernels::modulate, x, sh, sc, m, n, m / groups)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new Modulate(x, sh, sc, Plan.of(g));
        }
    }

    /** In-place x [m, n] += y · gate [groups, n]. */
    public record AddGated(FloatArray x, FloatArray y, FloatArray gate, Plan plan) {
        public static AddGated create(int m, int n, int groups) {
            FloatArray x = new FloatArray(m * n), y = new FloatArray(m * n), gate = new FloatArray(groups * n);
            TaskGraph g = graph("addGated")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, y, gate)
                    .task("addGated", RowKernels::addGated, x, y, gate, m, n, m / groups)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new AddGated(x, y, gate, Plan.of(g));
        }
    }

    /** In-place x += y over {@code size} elements. */
    public record Add(FloatArray x, FloatArray y, Plan plan) {
        public static Add create(int size) {
            FloatArray x = new FloatArray(size), y = new FloatArray(size);
            TaskGraph g = graph("add")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, y)
                    .task("add", RowKernels::add, x, y, size)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new Add(x, y, Plan.of(g));
        }
    }

    /** An in-place activation over {@code size} elements. */
    public record Activation(FloatArray x, Plan plan) {
        public static Activation silu(int size) {
            FloatArray x = new FloatArray(size);
            TaskGraph g = graph("silu")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                    .task("silu", RowKernels::silu, x, size)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new Activation(x, Plan.of(g));
        }

        public static Activation geluTanh(int size) {
            FloatArray x = new FloatArray(size);
            TaskGraph g = graph("gelu")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                    .task("geluTanh", RowKernels::geluTanh, x, size)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new Activation(x, Plan.of(g));
        }
    }

    /** In-place RoPE of x [l, heads, 2·half] with cos/sin [l, half]. */
    public record Rope(FloatArray x, FloatArray cos, FloatArray sin, Plan plan) {
        public static Rope create(int l, int heads, int half) {
            FloatArray x = new FloatArray(l * heads * 2 * half), c = new FloatArray(l * half), s = new FloatArray(l * half);
            TaskGraph g = graph("rope")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, c, s)
                    .task("rope", RowKernels::rope, x, c, s, l, heads, half)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
            return new Rope(x, c, s, Plan.of(g));
        }
    }

    /** Which attention kernel an {@link Attention} plan runs. */
    public enum AttentionKernel {
        /** {@link AttentionKernels#attention}: one thread per (query, head), accumulator in global memory (slow). */
        NAIVE,
        /** {@link AttentionKernels#attentionPrivate}: @Parallel, private accumulator, keys in blocks. */
        PRIVATE,
        /** {@link AttentionKernels#attentionTiled}: KernelContext, K/V tiles in local memory. */
        TILED;

        /**
         * From {@code -Dchameleon.tornado.attention=naive|private|tiled} (default tiled). The property also names the
         * device-resident DiT's attention ({@code reg|mma|scores}, {@code DeviceKernels.java}); under those names the
         * op-by-op path, which has only these fp32 kernels, runs its default, tiled.
         */
        public static AttentionKernel fromSystemProperty() {
            String name = System.getProperty("chameleon.tornado.attention", "tiled");
            if (DeviceKernels.RESIDENT_ATTENTIONS.contains(name)) {
                return TILED;
            }
            if (!named(name)) {
                throw new IllegalArgumentException("-Dchameleon.tornado.attention: naive, private or tiled (op by op), "
                        + "reg, mma or scores (device-resident DiT), got " + name);
            }
            return valueOf(name.toUpperCase(java.util.Locale.ROOT));
        }

        /** Whether {@code name} is one of these kernels' {@code -Dchameleon.tornado.attention} names (any case, as {@link #valueOf} reads it). */
        static boolean named(String name) {
            return java.util.Arrays.stream(values()).anyMatch(k -> k.name().equals(name.toUpperCase(java.util.Locale.ROOT)));
        }
    }

    /** Attention of q [lq, heads, d] over rows [range) of k, v [cap, heads, d]. */
    public record Attention(FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray range, FloatArray scale,
                            Plan plan) {
        public static Attention create(int lq, int cap, int heads, int d) {
            return create(lq, cap, heads, d, AttentionKernel.fromSystemProperty());
        }

        /** A plan running {@code kernel}; head_dim d &gt; {@value AttentionKernels#MAX_D} always runs NAIVE. */
        public static Attention create(int lq, int cap, int heads, int d, AttentionKernel kernel) {
            return create(lq, cap, heads, d, kernel, Integer.getInteger("chameleon.tornado.attention.bq", AttentionKernels.BQ));
        }

        /** @param bq TILED only: query rows (threads) per work group, {@code -Dchameleon.tornado.attention.bq} (64). */
        public static Attention create(int lq, int cap, int heads, int d, AttentionKernel kernel, int bq) {
            if (d > AttentionKernels.MAX_D) {
                kernel = AttentionKernel.NAIVE;
            }
            FloatArray q = new FloatArray(lq * heads * d), k = new FloatArray(cap * heads * d),
                    v = new FloatArray(cap * heads * d), out = new FloatArray(lq * heads * d), scale = new FloatArray(1);
            IntArray range = new IntArray(2);
            TaskGraph g = graph("attention")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, q, k, v, range, scale);
            Plan plan;
            switch (kernel) {
                case NAIVE -> {
                    g.task("attention", AttentionKernels::attention, q, k, v, out, range, scale, lq, heads, d)
                            .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
                    plan = Plan.of(g);
                }
                case PRIVATE -> {
                    g.task("attention", AttentionKernels::attentionPrivate, q, k, v, out, range, scale, lq, heads, d)
                            .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
                    plan = Plan.of(g);
                }
                case TILED -> {
                    KernelContext ctx = new KernelContext();
                    g.task("attention", AttentionKernels::attentionTiled, ctx, q, k, v, out, range, scale, lq, heads, d, bq)
                            .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
                    WorkerGrid2D grid = new WorkerGrid2D((lq + bq - 1) / bq * bq, heads);
                    grid.setLocalWork(bq, 1, 1);
                    plan = Plan.of(g, "attention", grid);
                }
                default -> throw new IllegalArgumentException("attention kernel " + kernel);
            }
            return new Attention(q, k, v, out, range, scale, plan);
        }
    }

    /** dst ← src over {@code size} elements (rows staged through two device buffers, so overlap is safe). */
    public record Copy(FloatArray src, FloatArray dst, Plan plan) {
        public static Copy create(int size) {
            FloatArray src = new FloatArray(size), dst = new FloatArray(size);
            TaskGraph g = graph("copyRows")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, src)
                    .task("copy", RowKernels::copy, src, dst, size)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, dst);
            return new Copy(src, dst, Plan.of(g));
        }
    }
}
