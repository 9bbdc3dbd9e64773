package chameleon.tornado;

import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.dit.DitForward;
import chameleon.layers.dit.ResidentDitSource;
import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.tornado.plan.DeviceKernels;
import chameleon.tornado.plan.HostCopy;
import chameleon.tornado.plan.LinearPlan;
import chameleon.tornado.plan.OpPlans;
import chameleon.tornado.plan.Plan;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * The TornadoVM backend: every op the DiT uses runs as a Java kernel ({@code chameleon.tornado.kernels})
 * compiled by TornadoVM for the default TornadoVM device (PTX on the GPU machine, OpenCL/PoCL in CI).
 *
 * <p>This first slice keeps activations on the host, as the {@link Backend} contract hands them around as
 * heap F32 tensors: each op uploads its inputs, runs its kernel and downloads its result (per-op
 * upload/compute/download). What stays on the device: the weights of every Linear layer, in checkpoint
 * dtype, uploaded once per weight tensor (keyed by the identity of its memory segment, so reshaped
 * views share the copy) and widened in the kernel.
 * Plans are cached by weight (Linear) or by shape (everything else), so each kernel is compiled once
 * per plan.
 *
 * <p>The VAE's channel-first ops (conv3d, channelRmsNorm, channelAffine, upsample, permute, concat,
 * slice, mean, clamp) delegate to the CPU backend in this slice.
 *
 * <p>Run with {@code -Dtornado.recover.bailout=False}: a kernel that fails to compile must fail, never
 * fall back silently to running the Java method on the host.
 */
public final class TornadoBackend implements Backend, ResidentDitSource, AutoCloseable {
    static {
        // The DiT block graph (~70 tasks, ~60 arrays) overflows TornadoVM's default 4 KiB bytecode buffer, and
        // the overflow surfaces only as a bailout without a message. Read once, when TornadoVM first builds a graph.
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", "65536");
        }
    }

    private final CpuBackend cpu = new CpuBackend();
    // Keyed by the weight's memory segment (identity): a checkpoint tensor and reshaped views of it
    // share one segment object, so they share one device copy; a plan also checks dtype and shape.
    private final Map<MemorySegment, LinearPlan> linears = new IdentityHashMap<>();
    private final Map<String, Object> plans = new HashMap<>();
    private final Map<CausalWanModel, ResidentDit> residents = new IdentityHashMap<>();

    private final LinearPlan.Gemm gemm;

    /** GEMM kernel from {@code -Dchameleon.tornado.gemm} (default: the @Parallel register-tiled one). */
    public TornadoBackend() {
        this(LinearPlan.Gemm.fromSystemProperty());
    }

    public TornadoBackend(LinearPlan.Gemm gemm) {
        this(gemm, Boolean.getBoolean("chameleon.tornado.widenOnHost"));
    }

    private final boolean widenOnHost;

    /**
     * @param widenOnHost upload BF16/F16 Linear weights converted to F32 instead of widening them in
     *                    the kernel (diagnostic; {@code -Dchameleon.tornado.widenOnHost=true})
     */
    public TornadoBackend(LinearPlan.Gemm gemm, boolean widenOnHost) {
        this(gemm, widenOnHost, Boolean.parseBoolean(System.getProperty("chameleon.tornado.resident", "true")));
    }

    private final boolean resident;

    /**
     * @param resident run whole DiT forwards on the device ({@link #residentForward}); false: op by op,
     *                 activations and KV cache on the host ({@code -Dchameleon.tornado.resident=false})
     */
    public TornadoBackend(LinearPlan.Gemm gemm, boolean widenOnHost, boolean resident) {
        this.gemm = gemm;
        this.widenOnHost = widenOnHost;
        this.resident = resident;
        if (!"False".equalsIgnoreCase(System.getProperty("tornado.recover.bailout", "True"))) {
            System.err.println("[chameleon] warning: run with -Dtornado.recover.bailout=False, or a kernel that "
                    + "fails to compile silently runs as plain Java on the host");
        }
    }

    @Override
    public String name() {
        return "tornado";
    }

    /** Whether 16-bit Linear weights are converted to F32 on upload rather than widened in the kernel. */
    public boolean widensOnHost() {
        return widenOnHost;
    }

    /** The GEMM kernel this backend's Linear plans run. */
    public LinearPlan.Gemm gemm() {
        return gemm;
    }

    /** The TornadoVM device the plans run on, e.g. "NVIDIA H100 80GB HBM3 (PTX)". */
    public static String deviceDescription() {
        TornadoDevice d = TornadoExecutionPlan.DEFAULT_DEVICE;
        return d.getPhysicalDevice().getDeviceName() + " (" + d.getTornadoVMBackend() + ")";
    }

    /**
     * The whole DiT forward on the device ({@link ResidentDit}), one per model; null with
     * {@code -Dchameleon.tornado.resident=false} (then every op runs on its own, activations on the host).
     * Kernels from {@code -Dchameleon.tornado.kernels=java|vendor} (default java).
     */
    @Override
    public synchronized DitForward residentForward(CausalWanModel model) {
        if (!resident) {
            return null;
        }
        return residents.computeIfAbsent(model, m -> new ResidentDit(m, this, deviceKernels()));
    }

    /** The kernel mode of device-resident forwards, from {@code -Dchameleon.tornado.kernels}. */
    public static DeviceKernels deviceKernels() {
        String mode = System.getProperty("chameleon.tornado.kernels", "java");
        return switch (mode) {
            case "java" -> DeviceKernels.java();
            case "vendor" -> throw new IllegalArgumentException("--kernels vendor needs TornadoVM's CUDA backend with "
                    + "the tornado.cublas and tornado.cudnn modules; this build has no vendor kernels yet");
            default -> throw new IllegalArgumentException("kernels \"" + mode + "\": expected java or vendor");
        };
    }

    @SuppressWarnings("unchecked")
    private <T> T plan(String key, Supplier<T> create) {
        return (T) plans.computeIfAbsent(key, k -> create.get());
    }

    // ---- DiT ops on the device ----

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        if (x.shape().rank() != 2 || w.shape().rank() != 2 || x.dim(1) != w.dim(1)) {
            throw new IllegalArgumentException("linear: x " + x.shape() + " and w " + w.shape()
                    + " must be [M, K] and [N, K]");
        }
        if (bias != null && bias.numel() != w.dim(0)) {
            throw new IllegalArgumentException("linear: bias " + bias.shape() + " must have " + w.dim(0) + " elements");
        }
        int m = x.dim(0);
        LinearPlan p = linears.get(w.segment());
        if (p != null && !p.sameWeight(w)) {
            p.close();
            p = null;
        }
        if (p == null || !p.serves(bias, m)) {
            // First use of this weight, or more rows than its plan holds: (re)build with room for m rows.
            int capacity = p == null ? m : Math.max(m, p.capacity());
            if (p != null) {
                p.close();
            }
            p = new LinearPlan(w, bias, capacity, gemm, widenOnHost);
            linears.put(w.segment(), p);
        }
        return p.apply(x);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        int n = cols(x), m = (int) (x.numel() / n);
        OpPlans.LayerNorm p = plan("ln:" + m + ":" + n + ":" + eps, () -> OpPlans.LayerNorm.create(m, n, eps));
        HostCopy.put(x, p.x());
        fill(weight, p.w(), n, 1f);
        fill(bias, p.b(), n, 0f);
        p.plan().run();
        Tensor y = Tensor.zeros(x.shape().dims());
        HostCopy.get(p.y(), y);
        return y;
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        int n = cols(x), m = (int) (x.numel() / n);
        OpPlans.RmsNorm p = plan("rms:" + m + ":" + n + ":" + eps, () -> OpPlans.RmsNorm.create(m, n, eps));
        HostCopy.put(x, p.x());
        fill(weight, p.w(), n, 1f);
        p.plan().run();
        Tensor y = Tensor.zeros(x.shape().dims());
        HostCopy.get(p.y(), y);
        return y;
    }

    @Override
    public void modulate(Tensor x, Tensor shift, Tensor scale) {
        int n = cols(x), m = (int) (x.numel() / n);
        int groups = groups(m, n, shift, "modulate");
        requireSize(scale, shift.numel(), "modulate: scale");
        OpPlans.Modulate p = plan("mod:" + m + ":" + n + ":" + groups, () -> OpPlans.Modulate.create(m, n, groups));
        HostCopy.put(x, p.x());
        HostCopy.put(shift, p.shift());
        HostCopy.put(scale, p.scale());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "modulate"));
    }

    @Override
    public void addGated(Tensor x, Tensor y, Tensor gate) {
        int n = cols(x), m = (int) (x.numel() / n);
        requireSize(y, x.numel(), "addGated: y");
        int groups = groups(m, n, gate, "addGated");
        OpPlans.AddGated p = plan("addg:" + m + ":" + n + ":" + groups, () -> OpPlans.AddGated.create(m, n, groups));
        HostCopy.put(x, p.x());
        HostCopy.put(y, p.y());
        HostCopy.put(gate, p.gate());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "addGated"));
    }

    @Override
    public void add(Tensor x, Tensor y) {
        requireSize(y, x.numel(), "add: y");
        int size = Math.toIntExact(x.numel());
        OpPlans.Add p = plan("add:" + size, () -> OpPlans.Add.create(size));
        HostCopy.put(x, p.x());
        HostCopy.put(y, p.y());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "add"));
    }

    @Override
    public void silu(Tensor x) {
        int size = Math.toIntExact(x.numel());
        OpPlans.Activation p = plan("silu:" + size, () -> OpPlans.Activation.silu(size));
        HostCopy.put(x, p.x());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "silu"));
    }

    @Override
    public void geluTanh(Tensor x) {
        int size = Math.toIntExact(x.numel());
        OpPlans.Activation p = plan("gelu:" + size, () -> OpPlans.Activation.geluTanh(size));
        HostCopy.put(x, p.x());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "geluTanh"));
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin) {
        if (x.shape().rank() != 3) {
            throw new IllegalArgumentException("rope: x " + x.shape() + " must be [L, H, D]");
        }
        int l = x.dim(0), h = x.dim(1), half = x.dim(2) / 2;
        if (cos.numel() != (long) l * half || sin.numel() != (long) l * half) {
            throw new IllegalArgumentException("rope: tables " + cos.shape() + "/" + sin.shape()
                    + " must be [" + l + ", " + half + "]");
        }
        OpPlans.Rope p = plan("rope:" + l + ":" + h + ":" + half, () -> OpPlans.Rope.create(l, h, half));
        HostCopy.put(x, p.x());
        HostCopy.put(cos, p.cos());
        HostCopy.put(sin, p.sin());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "rope"));
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int from, int to, float scale) {
        if (q.shape().rank() != 3 || k.shape().rank() != 3 || !k.shape().equals(v.shape())
                || q.dim(1) != k.dim(1) || q.dim(2) != k.dim(2)) {
            throw new IllegalArgumentException("attention: q " + q.shape() + ", k " + k.shape() + ", v " + v.shape()
                    + " must be [Lq, H, D], [cap, H, D], [cap, H, D]");
        }
        if (from < 0 || to > k.dim(0) || from >= to) {
            throw new IllegalArgumentException("attention: key range [" + from + ", " + to + ") outside [0, " + k.dim(0) + ")");
        }
        int lq = q.dim(0), cap = k.dim(0), h = q.dim(1), d = q.dim(2);
        OpPlans.Attention p = plan("attn:" + lq + ":" + cap + ":" + h + ":" + d, () -> OpPlans.Attention.create(lq, cap, h, d));
        HostCopy.put(q, p.q());
        HostCopy.put(k, p.k());
        HostCopy.put(v, p.v());
        p.range().set(0, from);
        p.range().set(1, to);
        p.scale().set(0, scale);
        p.plan().run();
        Tensor out = Tensor.zeros(lq, h, d);
        HostCopy.get(p.out(), out);
        return out;
    }

    @Override
    public void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        if (src.dtype() != dst.dtype() || src.shape().rowSize() != dst.shape().rowSize()) {
            throw new IllegalArgumentException("copyRows: " + src + " and " + dst + " rows differ");
        }
        if (srcRow < 0 || dstRow < 0 || count < 0 || srcRow + count > src.dim(0) || dstRow + count > dst.dim(0)) {
            throw new IndexOutOfBoundsException("copyRows: " + count + " rows from " + srcRow + " of " + src.shape()
                    + " to " + dstRow + " of " + dst.shape());
        }
        if (count == 0) {
            return;
        }
        if (src.dtype() != DType.F32) {
            cpu.copyRows(src, srcRow, dst, dstRow, count);
            return;
        }
        int size = Math.toIntExact(count * src.shape().rowSize());
        OpPlans.Copy p = plan("copy:" + size, () -> OpPlans.Copy.create(size));
        HostCopy.put(src.rows(srcRow, srcRow + count), p.src());
        p.plan().run();
        Tensor target = dst.rows(dstRow, dstRow + count);
        MemorySegment.copy(p.dst().getSegment(), 0, target.segment(), 0, (long) size * Float.BYTES);
    }

    // ---- VAE ops: the CPU backend in this slice ----

    @Override
    public Tensor conv3d(Tensor x, Tensor w, Tensor bias, int strideT, int strideH, int strideW,
                         int padTop, int padBottom, int padLeft, int padRight) {
        return cpu.conv3d(x, w, bias, strideT, strideH, strideW, padTop, padBottom, padLeft, padRight);
    }

    @Override
    public Tensor channelRmsNorm(Tensor x, Tensor gamma) {
        return cpu.channelRmsNorm(x, gamma);
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor shift) {
        cpu.channelAffine(x, scale, shift);
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return cpu.upsampleNearest2x(x);
    }

    @Override
    public Tensor permute(Tensor x, int... axes) {
        return cpu.permute(x, axes);
    }

    @Override
    public Tensor concat(int axis, Tensor... parts) {
        return cpu.concat(axis, parts);
    }

    @Override
    public Tensor slice(Tensor x, int axis, int from, int to) {
        return cpu.slice(x, axis, from, to);
    }

    @Override
    public Tensor mean(Tensor x, int axis) {
        return cpu.mean(x, axis);
    }

    @Override
    public void clamp(Tensor x, float lo, float hi) {
        cpu.clamp(x, lo, hi);
    }

    /** Frees every plan's device memory. */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(residents.values());
        residents.clear();
        all.addAll(linears.values());
        for (Object p : plans.values()) {
            all.add(planOf(p));
        }
        linears.clear();
        plans.clear();
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing TornadoVM plans", e);
            }
        }
    }

    private static Plan planOf(Object record) {
        return switch (record) {
            case OpPlans.LayerNorm r -> r.plan();
            case OpPlans.RmsNorm r -> r.plan();
            case OpPlans.Modulate r -> r.plan();
            case OpPlans.AddGated r -> r.plan();
            case OpPlans.Add r -> r.plan();
            case OpPlans.Activation r -> r.plan();
            case OpPlans.Rope r -> r.plan();
            case OpPlans.Attention r -> r.plan();
            case OpPlans.Copy r -> r.plan();
            default -> throw new IllegalStateException("unknown plan " + record);
        };
    }

    private static void fill(Tensor t, uk.ac.manchester.tornado.api.types.arrays.FloatArray a, int n, float value) {
        if (t == null) {
            a.init(value);
        } else {
            requireSize(t, n, "norm parameter");
            HostCopy.put(t, a);
        }
    }

    private static int cols(Tensor x) {
        return x.shape().rank() == 0 ? 1 : x.dim(x.shape().rank() - 1);
    }

    private static int groups(int rows, int cols, Tensor param, String op) {
        long len = param.numel();
        if (len == 0 || len % cols != 0) {
            throw new IllegalArgumentException(op + ": parameters of " + len + " values are not [G, " + cols + "]");
        }
        int groups = (int) (len / cols);
        if (rows % groups != 0) {
            throw new IllegalArgumentException(op + ": " + rows + " rows do not split into " + groups + " groups");
        }
        return groups;
    }

    private static void requireSize(Tensor t, long numel, String what) {
        if (t.numel() != numel) {
            throw new IllegalArgumentException(what + " " + t.shape() + " must have " + numel + " elements");
        }
    }

    private static Tensor requireHeap(Tensor x, String op) {
        if (x.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + " works in place on F32 tensors, not " + x);
        }
        return x;
    }
}
