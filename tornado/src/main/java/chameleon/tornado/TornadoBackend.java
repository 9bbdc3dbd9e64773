package chameleon.tornado;

import chameleon.layers.dit.CausalWanModel;
import chameleon.layers.dit.DitForward;
import chameleon.layers.dit.ResidentDitSource;
import chameleon.layers.vae.DeviceVaeDecoder;
import chameleon.layers.vae.DeviceVaeEncoder;
import chameleon.layers.vae.ResidentVaeSource;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.AxisSplit;
import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.StridedCopy;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.tornado.plan.DeviceKernels;
import chameleon.tornado.plan.HostCopy;
import chameleon.tornado.plan.LinearPlan;
import chameleon.tornado.plan.MmaConv;
import chameleon.tornado.plan.OpPlans;
import chameleon.tornado.plan.Plan;
import chameleon.tornado.plan.VolumePlans;
import chameleon.tornado.kernels.ConvKernels;
import chameleon.tornado.kernels.GemmKernels;
import chameleon.tornado.kernels.LayoutKernels;
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
 * slice, mean, clamp) run as Java kernels too ({@code ConvKernels}, {@code LayoutKernels},
 * {@code VolumeKernels}), through capacity plans ({@link VolumePlans}): the VAE's shapes change
 * from call to call, so those plans take their sizes at run time and are cached by power-of-two
 * buffer capacities rather than by exact shape. Conv weights travel with each call in checkpoint dtype.
 *
 * <p>Run with {@code -Dtornado.recover.bailout=False}: a kernel that fails to compile must fail, never
 * fall back silently to running the Java method on the host.
 */
public final class TornadoBackend implements Backend, ResidentDitSource, ResidentVaeSource, AutoCloseable {
    static {
        // The DiT block graph (~70 tasks, ~60 arrays) and the VAE decoder graph (~250 tasks) overflow TornadoVM's default 4 KiB bytecode buffer, and
        // the overflow surfaces only as a bailout without a message. Read once, when TornadoVM first builds a graph.
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", "262144");
        }
        // TornadoVM's interpreter fills (tasks + 1) × tornado.max.events ints with -1 before every graph execution;
        // its default 32 768 costs ~6 MiB of memset a DiT block execution (tornado/README.md, "Launch flags"). Read
        // when TornadoVM's options class initialises: set here for embedders, on the command line by our launchers.
        if (System.getProperty("tornado.max.events") == null) {
            System.setProperty("tornado.max.events", "1024");
        }
    }

    private final CpuBackend cpu = new CpuBackend();
    // Keyed by the weight's memory segment (identity): a checkpoint tensor and reshaped views of it
    // share one segment object, so they share one device copy; a plan also checks dtype and shape.
    private final Map<MemorySegment, LinearPlan> linears = new IdentityHashMap<>();
    // Op-by-op plans in access order (least recently used first), their buffer bytes, and the budget those may
    // hold: -Dchameleon.tornado.opPlanBudget=24GB closes the least recently used plans beyond it (their device
    // buffers freed; a later call of that shape builds and compiles its plan again). Unset: no limit. The VAE at
    // 1280×704 needs it next to the device-resident DiT: its capacity plans hold full-resolution buffers per
    // size bucket and op.
    private final Map<String, Object> plans = new java.util.LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, Long> planBytes = new HashMap<>();
    private long planBudget = budgetBytes(System.getProperty("chameleon.tornado.opPlanBudget"));
    private long heldPlanBytes;
    private int evictedPlans;
    // conv3d weights as fp16 GEMM tiles (tensor-core path), made once per weight tensor, keyed like linears.
    private final Map<MemorySegment, MmaConv.Weight> convWeights = new IdentityHashMap<>();
    private final Map<CausalWanModel, ResidentDit> residents = new IdentityHashMap<>();
    private final Map<WanVae, ResidentVaeDecoder> vaeDecoders = new IdentityHashMap<>();
    private final Map<WanVae, ResidentVaeEncoder> vaeEncoders = new IdentityHashMap<>();
    // -Dchameleon.tornado.residentVae=false: the VAE decoder and image encoder run op by op (activations on the host),
    // as before.
    private final boolean residentVae = Boolean.parseBoolean(System.getProperty("chameleon.tornado.residentVae", "true"));

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
    /** conv3d on tensor cores ({@link MmaConv}) rather than {@link ConvKernels#conv3d} (fp32). */
    private final boolean mmaConv;
    private final boolean convProfile;
    private long retiredConvNanos;

    /**
     * @param resident run whole DiT forwards on the device ({@link #residentForward}); false: op by op,
     *                 activations and KV cache on the host ({@code -Dchameleon.tornado.resident=false})
     */
    public TornadoBackend(LinearPlan.Gemm gemm, boolean widenOnHost, boolean resident) {
        this.mmaConv = DeviceKernels.deviceHasMma() && !"fp32".equals(System.getProperty("chameleon.tornado.conv"));
        this.convProfile = Boolean.getBoolean("chameleon.tornado.conv.profile");
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

    /** The device, the DiT path and its kernels ({@code -Dchameleon.tornado.kernels}), the host GEMM. */
    @Override
    public String description() {
        return "tornado on " + deviceDescription() + (resident ? ", device-resident DiT, kernels "
                + deviceKernels().name() : ", op by op (activations and KV cache on the host), GEMM " + gemm);
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

    @Override
    public boolean resident() {
        return resident;
    }

    /**
     * The VAE decoder on the device ({@link ResidentVaeDecoder}: one graph per frame, caches on the device), one per
     * VAE; null with {@code -Dchameleon.tornado.residentVae=false}. Convolutions on tensor cores where the device has
     * them (fp32 with {@code -Dchameleon.tornado.conv=fp32}).
     */
    @Override
    public synchronized DeviceVaeDecoder residentDecoder(WanVae vae) {
        return residentVae ? vaeDecoders.computeIfAbsent(vae, v -> new ResidentVaeDecoder(v, mmaConv)) : null;
    }

    /**
     * The single-image VAE encoder on the device ({@link ResidentVaeEncoder}: one graph per image size), one per VAE;
     * null with {@code -Dchameleon.tornado.residentVae=false}. Convolutions as for {@link #residentDecoder}.
     */
    @Override
    public synchronized DeviceVaeEncoder residentEncoder(WanVae vae) {
        return residentVae ? vaeEncoders.computeIfAbsent(vae, v -> new ResidentVaeEncoder(v, mmaConv)) : null;
    }

    /** The device encoder made for {@code vae}, or null. */
    synchronized ResidentVaeEncoder residentEncoderOf(WanVae vae) {
        return vaeEncoders.get(vae);
    }

    /** The device decoder made for {@code vae}, or null. */
    synchronized ResidentVaeDecoder residentDecoderOf(WanVae vae) {
        return vaeDecoders.get(vae);
    }

    /** The kernel mode of device-resident forwards, from {@code -Dchameleon.tornado.kernels}. */
    public static DeviceKernels deviceKernels() {
        String mode = System.getProperty("chameleon.tornado.kernels", "java");
        return switch (mode) {
            case "java" -> DeviceKernels.java();
            case "vendor" -> vendorKernels();
            default -> throw new IllegalArgumentException("kernels \"" + mode + "\": expected java or vendor");
        };
    }

    /** chameleon.tornado.vendor.VendorKernels, from the tornado-vendor jar (built only against a CUDA SDK). */
    private static DeviceKernels vendorKernels() {
        try {
            return (DeviceKernels) Class.forName("chameleon.tornado.vendor.VendorKernels").getDeclaredConstructor()
                    .newInstance();
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("--kernels vendor needs the chameleon-tornado-vendor jar, built where "
                    + "TORNADOVM_HOME is a TornadoVM SDK with the CUDA backend and its tornado.cublas/tornado.cudnn "
                    + "modules (tornado/make-bundle --backend cuda)", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("loading the vendor kernels", e.getCause() != null ? e.getCause() : e);
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T plan(String key, Supplier<T> create) {
        Object p = plans.get(key);
        if (p == null) {
            p = create.get();
            putPlan(key, p);
        }
        return (T) p;
    }

    /** Holds {@code p} under {@code key} (replacing and closing nothing: the caller retired any old plan) and keeps the budget. */
    private void putPlan(String key, Object p) {
        plans.put(key, p);
        long b = bytesOf(p);
        Long old = planBytes.put(key, b);
        heldPlanBytes += b - (old == null ? 0 : old);
        if (heldPlanBytes <= planBudget) {
            return;
        }
        var it = plans.entrySet().iterator();
        while (heldPlanBytes > planBudget && it.hasNext()) {
            var e = it.next();
            if (e.getKey().equals(key)) {
                continue;
            }
            if (e.getValue() instanceof MmaConv c) {
                retiredConvNanos += c.kernelNanos();
            }
            try {
                planOf(e.getValue()).close();
            } catch (Exception ex) {
                throw new IllegalStateException("closing TornadoVM plan " + e.getKey(), ex);
            }
            heldPlanBytes -= planBytes.remove(e.getKey());
            it.remove();
            evictedPlans++;
        }
    }

    /** Bytes of the TornadoVM arrays a plan record holds (host side; the device holds the same again). */
    private static long bytesOf(Object plan) {
        if (plan instanceof MmaConv c) {
            return c.bytes();
        }
        long b = 0;
        if (plan instanceof Record r) {
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    if (c.getAccessor().invoke(r) instanceof uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray a) {
                        b += a.getNumBytesOfSegment();
                    }
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("sizing plan " + plan, e);
                }
            }
        }
        return b;
    }

    /** "24GB", "512MB", "1073741824" → bytes; null → no limit. */
    static long budgetBytes(String value) {
        if (value == null) {
            return Long.MAX_VALUE;
        }
        String v = value.trim().toUpperCase(java.util.Locale.ROOT);
        long unit = v.endsWith("GB") ? 1L << 30 : v.endsWith("MB") ? 1L << 20 : 1;
        String digits = unit == 1 ? v : v.substring(0, v.length() - 2);
        try {
            long n = Long.parseLong(digits.trim());
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("-Dchameleon.tornado.opPlanBudget=" + value
                    + ": expected a positive size such as 24GB, 512MB or a number of bytes");
        }
    }

    /** Sets the op-by-op plan budget in bytes (as {@code -Dchameleon.tornado.opPlanBudget}); applies from the next new plan. */
    public synchronized void limitOpPlans(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("op plan budget must be positive, got " + bytes);
        }
        planBudget = bytes;
    }

    /** Plans closed so far to keep {@code -Dchameleon.tornado.opPlanBudget}. */
    public int evictedPlans() {
        return evictedPlans;
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
        fill(bias, p.affine(), 0, n, 0f);   // affine [2, n] = (bias, weight)
        fill(weight, p.affine(), n, n, 1f);
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
        fill(weight, p.w(), 0, n, 1f);
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
        // Capacity-keyed (the VAE adds volumes of many sizes): the kernel runs over the whole buffer,
        // the elements past x's end are never read back.
        int size = VolumePlans.capacity(x.numel());
        OpPlans.Add p = plan("add:" + size, () -> OpPlans.Add.create(size));
        HostCopy.put(x, p.x());
        HostCopy.put(y, p.y());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "add"));
    }

    @Override
    public void silu(Tensor x) {
        int size = VolumePlans.capacity(x.numel()); // capacity-keyed, as add
        OpPlans.Activation p = plan("silu:" + size, () -> OpPlans.Activation.silu(size));
        HostCopy.put(x, p.x());
        p.plan().run();
        HostCopy.get(p.x(), requireHeap(x, "silu"));
    }

    @Override
    public void geluTanh(Tensor x) {
        int size = VolumePlans.capacity(x.numel()); // capacity-keyed, as add
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

    // ---- VAE ops on the device: capacity plans (VolumePlans), sizes passed at run time ----

    @Override
    public Tensor conv3d(Tensor x, Tensor w, Tensor bias, int strideT, int strideH, int strideW,
                         int padTop, int padBottom, int padLeft, int padRight) {
        if (x.shape().rank() != 4 || w.shape().rank() != 5 || x.dim(0) != w.dim(1)) {
            throw new IllegalArgumentException("conv3d: x " + x.shape() + " and w " + w.shape()
                    + " must be [Cin, T, H, W] and [Cout, Cin, kt, kh, kw]");
        }
        if (strideT < 1 || strideH < 1 || strideW < 1 || padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
            throw new IllegalArgumentException("conv3d: strides must be ≥ 1 and padding ≥ 0");
        }
        int cIn = x.dim(0), tIn = x.dim(1), hIn = x.dim(2), wIn = x.dim(3);
        int cOut = w.dim(0), kt = w.dim(2), kh = w.dim(3), kw = w.dim(4);
        int tOut = Math.floorDiv(tIn - kt, strideT) + 1;
        int hOut = Math.floorDiv(hIn + padTop + padBottom - kh, strideH) + 1;
        int wOut = Math.floorDiv(wIn + padLeft + padRight - kw, strideW) + 1;
        if (tOut < 1 || hOut < 1 || wOut < 1) {
            throw new IllegalArgumentException("conv3d: input " + x.shape() + " is smaller than kernel " + w.shape()
                    + " with padding (" + padTop + "," + padBottom + "," + padLeft + "," + padRight + ")");
        }
        if (bias != null && bias.numel() != cOut) {
            throw new IllegalArgumentException("conv3d: bias " + bias.shape() + " must have " + cOut + " elements");
        }
        int mode = switch (w.dtype()) {
            case F32 -> 0;
            case BF16 -> 1;
            case F16 -> 2;
            default -> throw new IllegalArgumentException("conv3d: weight dtype " + w.dtype() + " not supported");
        };
        long positions = (long) tOut * hOut * wOut;
        if (mmaConv) {
            return mmaConv3d(x, w, bias, positions, new int[] {cIn, tIn, hIn, wIn, cOut, kt, kh, kw, strideT, strideH,
                    strideW, padTop, padLeft, tOut, hOut, wOut, mode});
        }
        boolean bits = mode != 0;
        int wCap = VolumePlans.capacity(w.numel()), xCap = VolumePlans.capacity(x.numel());
        int pixelTiles = VolumePlans.powerOfTwo((positions + 3) / 4, 64);
        int chanTiles = VolumePlans.powerOfTwo((cOut + 3) / 4, 1);
        // y's capacity follows from the tile capacities (16 outputs per tile pair), so it is no key of its own.
        VolumePlans.Conv p = plan("conv3d:" + bits + ":" + wCap + ":" + xCap + ":" + pixelTiles + ":" + chanTiles,
                () -> VolumePlans.Conv.create(bits, wCap, xCap, pixelTiles, chanTiles));
        HostCopy.put(x, p.x());
        if (bits) {
            HostCopy.putBits(w, p.wh());
            HostCopy.put(mode == 1 ? BF16_POW2 : F16_POW2, p.pow2());
        } else {
            HostCopy.put(w, p.wf());
        }
        if (bias == null) {
            p.bias().init(0f);
        } else {
            HostCopy.put(bias, p.bias());
        }
        int[] g = new int[ConvKernels.GEOMETRY];
        g[ConvKernels.C_IN] = cIn;
        g[ConvKernels.T_IN] = tIn;
        g[ConvKernels.H_IN] = hIn;
        g[ConvKernels.W_IN] = wIn;
        g[ConvKernels.C_OUT] = cOut;
        g[ConvKernels.KT] = kt;
        g[ConvKernels.KH] = kh;
        g[ConvKernels.KW] = kw;
        g[ConvKernels.ST] = strideT;
        g[ConvKernels.SH] = strideH;
        g[ConvKernels.SW] = strideW;
        g[ConvKernels.PAD_TOP] = padTop;
        g[ConvKernels.PAD_LEFT] = padLeft;
        g[ConvKernels.T_OUT] = tOut;
        g[ConvKernels.H_OUT] = hOut;
        g[ConvKernels.W_OUT] = wOut;
        g[ConvKernels.W_MODE] = mode;
        setInts(p.g(), g);
        p.plan().run();
        Tensor y = Tensor.zeros(cOut, tOut, hOut, wOut);
        HostCopy.get(p.y(), y);
        return y;
    }

    /** Whether conv3d runs on tensor cores (PTX/CUDA, unless {@code -Dchameleon.tornado.conv=fp32}). */
    public boolean convOnTensorCores() {
        return mmaConv;
    }

    /**
     * conv3d as the fp16 MMA GEMM ({@link MmaConv}): the weight becomes GEMM tiles once (cached by its memory,
     * checked by shape), one plan serves every convolution with the same padded K and padded Cout (rebuilt
     * larger when a call outgrows its buffers). {@code geo} in {@link ConvKernels#GEOMETRY} order.
     */
    private Tensor mmaConv3d(Tensor x, Tensor w, Tensor bias, long positions, int[] geo) {
        MmaConv.Weight cw = convWeights.get(w.segment());
        if (cw == null || !cw.fits(w)) {
            cw = MmaConv.Weight.of(w);
            convWeights.put(w.segment(), cw);
        }
        String key = MmaConv.key(cw);
        MmaConv old = (MmaConv) plans.get(key);
        MmaConv p = MmaConv.grow(old, cw, x.numel(), positions, convProfile);
        if (p != old) {
            if (old != null) {
                retiredConvNanos += old.kernelNanos();
            }
            putPlan(key, p);
        }
        return p.apply(x, cw, bias, geo);
    }

    /** Device kernel seconds of all tensor-core conv3d calls so far (with {@code -Dchameleon.tornado.conv.profile=true}). */
    public double convKernelSeconds() {
        double s = retiredConvNanos / 1e9;
        for (Object p : plans.values()) {
            if (p instanceof MmaConv c) {
                s += c.kernelNanos() / 1e9;
            }
        }
        return s;
    }

    @Override
    public Tensor channelRmsNorm(Tensor x, Tensor gamma) {
        int c = x.dim(0), size = Math.toIntExact(x.shape().rowSize());
        if (gamma.numel() != c) {
            throw new IllegalArgumentException("channelRmsNorm: gamma " + gamma.shape() + " must have " + c
                    + " elements for x " + x.shape());
        }
        int cap = VolumePlans.capacity(x.numel()), cCap = VolumePlans.capacity(c), positions = VolumePlans.powerOfTwo(size, 64);
        VolumePlans.ChannelRmsNorm p = plan("crms:" + cap + ":" + cCap + ":" + positions,
                () -> VolumePlans.ChannelRmsNorm.create(cap, cCap, positions));
        HostCopy.put(x, p.x());
        HostCopy.put(gamma, p.gamma());
        p.scale().set(0, (float) Math.sqrt(c)); // as the CPU backend rounds it
        setInts(p.p(), c, size);
        p.plan().run();
        Tensor y = Tensor.zeros(x.shape().dims());
        HostCopy.get(p.y(), y);
        return y;
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor shift) {
        int c = x.dim(0), size = Math.toIntExact(x.shape().rowSize());
        if ((scale != null && scale.numel() != c) || (shift != null && shift.numel() != c)) {
            throw new IllegalArgumentException("channelAffine: scale/shift must have " + c + " elements for x " + x.shape());
        }
        int cap = VolumePlans.capacity(x.numel()), cCap = VolumePlans.capacity(c);
        VolumePlans.ChannelAffine p = plan("caff:" + cap + ":" + cCap, () -> VolumePlans.ChannelAffine.create(cap, cCap));
        HostCopy.put(requireHeap(x, "channelAffine"), p.x());
        fill(scale, p.scale(), 0, c, 1f);
        fill(shift, p.shift(), 0, c, 0f);
        setInts(p.p(), c, size);
        p.plan().run();
        HostCopy.get(p.x(), x);
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return gather("upsampleNearest2x", x, StridedCopy.upsampleNearest2x(x.shape()));
    }

    @Override
    public Tensor permute(Tensor x, int... axes) {
        return gather("permute", x, StridedCopy.permute(x.shape(), axes));
    }

    @Override
    public Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat: no tensors");
        }
        int rank = parts[0].shape().rank();
        if (axis < 0 || axis >= rank) {
            throw new IllegalArgumentException("concat: axis " + axis + " outside a rank-" + rank + " tensor");
        }
        if (parts.length > LayoutKernels.MAX_PARTS) {
            throw new IllegalArgumentException("concat: " + parts.length + " parts, at most " + LayoutKernels.MAX_PARTS);
        }
        int[] dims = parts[0].shape().dims();
        int total = 0;
        for (Tensor part : parts) {
            int[] d = part.shape().dims();
            if (d.length != rank) {
                throw new IllegalArgumentException("concat along axis " + axis + ": " + part.shape() + " does not match "
                        + parts[0].shape());
            }
            d[axis] = dims[axis];
            if (!java.util.Arrays.equals(d, dims)) {
                throw new IllegalArgumentException("concat along axis " + axis + ": " + part.shape() + " does not match "
                        + parts[0].shape());
            }
            total += part.dim(axis);
        }
        dims[axis] = total;
        int inner = 1;
        for (int i = axis + 1; i < rank; i++) {
            inner *= dims[i];
        }
        long count = chameleon.tensor.Shape.of(dims).numel();
        int cap = VolumePlans.capacity(count);
        VolumePlans.Concat p = plan("concat:" + cap, () -> VolumePlans.Concat.create(cap));
        // Parts staged back to back in x; the kernel finds each output element's part from its axis index.
        int[] params = new int[LayoutKernels.CONCAT_PARAMS];
        params[0] = Math.toIntExact(count);
        params[1] = total;
        params[2] = inner;
        params[3] = parts.length;
        long offset = 0;
        int start = 0;
        for (int q = 0; q < parts.length; q++) {
            Tensor part = parts[q];
            copyInto(part, p.x(), offset);
            params[4 + 3 * q] = start;
            params[5 + 3 * q] = part.dim(axis);
            params[6 + 3 * q] = Math.toIntExact(offset);
            offset += part.numel();
            start += part.dim(axis);
        }
        setInts(p.p(), params);
        p.plan().run();
        Tensor y = Tensor.zeros(dims);
        HostCopy.get(p.y(), y);
        return y;
    }

    @Override
    public Tensor slice(Tensor x, int axis, int from, int to) {
        return gather("slice", x, StridedCopy.slice(x.shape(), axis, from, to));
    }

    @Override
    public Tensor mean(Tensor x, int axis) {
        AxisSplit split = AxisSplit.of("mean", x.shape(), axis);
        int n = split.n(), outer = split.outer(), inner = split.inner();
        int[] outDims = split.outDims();
        Tensor y = Tensor.zeros(outDims);
        if (y.numel() == 0) {
            return y;
        }
        int xCap = VolumePlans.capacity(x.numel()), yCap = VolumePlans.capacity(y.numel());
        VolumePlans.Mean p = plan("mean:" + xCap + ":" + yCap, () -> VolumePlans.Mean.create(xCap, yCap));
        HostCopy.put(x, p.x());
        setInts(p.p(), outer, n, inner);
        p.plan().run();
        HostCopy.get(p.y(), y);
        return y;
    }

    @Override
    public void clamp(Tensor x, float lo, float hi) {
        if (x.numel() == 0) {
            return;
        }
        int cap = VolumePlans.capacity(x.numel());
        VolumePlans.Clamp p = plan("clamp:" + cap, () -> VolumePlans.Clamp.create(cap));
        HostCopy.put(requireHeap(x, "clamp"), p.x());
        p.bounds().set(0, lo);
        p.bounds().set(1, hi);
        setInts(p.p(), Math.toIntExact(x.numel()));
        p.plan().run();
        HostCopy.get(p.x(), x);
    }

    /** y from x through {@link LayoutKernels#gather}, the copy {@code c} describes. */
    private Tensor gather(String op, Tensor x, StridedCopy c) {
        Tensor y = Tensor.zeros(c.outDims());
        if (y.numel() == 0) {
            return y;
        }
        int xCap = VolumePlans.capacity(x.numel()), yCap = VolumePlans.capacity(y.numel());
        VolumePlans.Gather p = plan("gather:" + xCap + ":" + yCap, () -> VolumePlans.Gather.create(xCap, yCap));
        HostCopy.put(x, p.x());
        setInts(p.p(), VolumePlans.gatherParams(c, op));
        p.plan().run();
        HostCopy.get(p.y(), y);
        return y;
    }

    private static final float[] BF16_POW2 = GemmKernels.bf16Pow2();
    private static final float[] F16_POW2 = java.util.Arrays.copyOf(GemmKernels.f16Pow2(), 256);

    private static void setInts(uk.ac.manchester.tornado.api.types.arrays.IntArray a, int... values) {
        for (int i = 0; i < values.length; i++) {
            a.set(i, values[i]);
        }
    }

    /** t widened to fp32 into a at element {@code offset}. */
    private static void copyInto(Tensor t, uk.ac.manchester.tornado.api.types.arrays.FloatArray a, long offset) {
        if (t.dtype() == DType.F32) {
            MemorySegment.copy(t.segment(), 0, a.getSegment(), offset * Float.BYTES, t.numel() * Float.BYTES);
        } else {
            float[] tmp = t.toFloatArray();
            MemorySegment.copy(tmp, 0, a.getSegment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, offset * Float.BYTES, tmp.length);
        }
    }

    /** Number of compiled plans held (Linear plans included): each cost one kernel compilation. */
    public int planCount() {
        return plans.size() + linears.size();
    }

    /** Frees every plan's device memory. */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(residents.values());
        residents.clear();
        all.addAll(vaeDecoders.values());
        vaeDecoders.clear();
        all.addAll(vaeEncoders.values());
        vaeEncoders.clear();
        all.addAll(linears.values());
        for (Object p : plans.values()) {
            all.add(planOf(p));
        }
        linears.clear();
        convWeights.clear();
        plans.clear();
        planBytes.clear();
        heldPlanBytes = 0;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing TornadoVM plans", e);
            }
        }
    }

    private static AutoCloseable planOf(Object record) {
        return switch (record) {
            case MmaConv r -> r;
            case OpPlans.LayerNorm r -> r.plan();
            case OpPlans.RmsNorm r -> r.plan();
            case OpPlans.Modulate r -> r.plan();
            case OpPlans.AddGated r -> r.plan();
            case OpPlans.Add r -> r.plan();
            case OpPlans.Activation r -> r.plan();
            case OpPlans.Rope r -> r.plan();
            case OpPlans.Attention r -> r.plan();
            case OpPlans.Copy r -> r.plan();
            case VolumePlans.Conv r -> r.plan();
            case VolumePlans.Gather r -> r.plan();
            case VolumePlans.Concat r -> r.plan();
            case VolumePlans.ChannelRmsNorm r -> r.plan();
            case VolumePlans.ChannelAffine r -> r.plan();
            case VolumePlans.Mean r -> r.plan();
            case VolumePlans.Clamp r -> r.plan();
            default -> throw new IllegalStateException("unknown plan " + record);
        };
    }

    /** a[at, at + n) ← the n values of t (a norm parameter), or {@code value} where t is null. */
    private static void fill(Tensor t, uk.ac.manchester.tornado.api.types.arrays.FloatArray a, int at, int n,
                             float value) {
        if (t == null) {
            for (int i = 0; i < n; i++) {
                a.set(at + i, value);
            }
        } else {
            requireSize(t, n, "norm parameter");
            HostCopy.put(t, a, at);
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
