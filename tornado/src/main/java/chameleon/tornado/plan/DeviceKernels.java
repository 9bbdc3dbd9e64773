package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Which kernels do the heavy lifting of a device-resident forward: GEMM and attention ({@code --kernels}). */
public interface DeviceKernels {
    /** "java" or "vendor" (with the GEMM and attention classes), printed with every result. */
    String name();

    /**
     * @param weights one [n, k] weight a layer
     * @param biases  one [n] bias a layer (null entries, or a null list, for none)
     */
    DeviceLinear linear(List<Tensor> weights, List<Tensor> biases);

    /** The self-attention KV cache of every layer, in the layout {@link #attention()} reads (by default F32 rows). */
    default DeviceKvCache kvCache(int layers, int cap, int heads, int headDim) {
        return new FloatKvCache(layers, cap, heads, headDim);
    }

    /** Attention over a window of the KV cache chosen at run time. */
    DeviceAttention attention();

    /** Attention whose window always spans all {@code cap} rows (the prompt's cross-attention K/V). */
    default DeviceAttention crossAttention() {
        return attention();
    }

    /**
     * Whether a plan of these tasks may be captured into a CUDA graph and replayed; false where a task chooses device
     * pointers on the host at each dispatch (a replay would repeat the first choice).
     */
    default boolean replayable() {
        return true;
    }

    /**
     * The device-resident DiT's attentions by their {@code -Dchameleon.tornado.attention} names (the op-by-op path's
     * are {@link OpPlans.AttentionKernel}'s).
     */
    List<String> RESIDENT_ATTENTIONS = List.of("reg", "mma", "scores");

    /** Whether the default device's TornadoVM backend lowers KernelContext MMA (PTX and CUDA do; OpenCL not). */
    static boolean deviceHasMma() {
        TornadoVMBackendType t = TornadoExecutionPlan.DEFAULT_DEVICE.getTornadoVMBackend();
        return t == TornadoVMBackendType.PTX || t == TornadoVMBackendType.CUDA;
    }

    /**
     * Every kernel Java. Where the device has tensor cores through TornadoVM (PTX, CUDA): {@link MmaLinear}
     * (fp16 MMA) and the attention {@code -Dchameleon.tornado.attention} names: {@code scores} (default,
     * {@link ScoreMatrixAttention}, two fp16 MMA GEMMs around a score matrix in memory: 20.0 ms a layer at
     * 2688 × 20 240 on the H100, against 46.3 for {@code reg}, {@link RegAttention}, fp32, which needs 8 GB less device
     * memory), or {@code mma} ({@link MmaAttention}, fp16 MMA, two passes; 48.2 ms); the op-by-op path's names
     * naive|private|tiled leave the default; elsewhere, or with
     * {@code -Dchameleon.tornado.resident.gemm=fp32}: {@link JavaLinear} and {@link JavaAttention} (fp32).
     */
    static DeviceKernels java() {
        boolean mma = deviceHasMma() && !"fp32".equals(System.getProperty("chameleon.tornado.resident.gemm"));
        String named = System.getProperty("chameleon.tornado.attention", "scores");
        // naive|private|tiled name the op-by-op path's kernels (OpPlans); under those the resident DiT runs its default
        String attention = OpPlans.AttentionKernel.named(named) ? "scores" : named;
        if (!RESIDENT_ATTENTIONS.contains(attention)) {
            throw new IllegalArgumentException("-Dchameleon.tornado.attention: reg, mma or scores (device-resident DiT), "
                    + "naive, private or tiled (op by op), got " + named);
        }
        return new DeviceKernels() {
            @Override
            public String name() {
                return !mma ? "java (JavaLinear fp32, JavaAttention)" : switch (attention) {
                    case "mma" -> "java (MmaLinear fp16 MMA, MmaAttention fp16 MMA)";
                    case "scores" -> "java (MmaLinear fp16 MMA, ScoreMatrixAttention fp16 MMA)";
                    default -> "java (MmaLinear fp16 MMA, RegAttention)";
                };
            }

            @Override
            public DeviceLinear linear(List<Tensor> weights, List<Tensor> biases) {
                return mma ? new MmaLinear(weights, biases, MmaLinear.Block.fromSystemProperty())
                        : new JavaLinear(weights, biases);
            }

            @Override
            public DeviceAttention attention() {
                return mma ? new AttentionByShape(attention) : new JavaAttention();
            }
        };
    }

    /**
     * The tensor-core attention {@code kind} names ({@code mma}: {@link MmaAttention}, {@code scores}:
     * {@link ScoreMatrixAttention}) where the call fits it (head dim 128, query rows a multiple of 128), else
     * {@link RegAttention} at head dim 128, else the tiled kernel.
     */
    record AttentionByShape(String kind) implements DeviceAttention {
        @Override
        public void addTo(TaskGraph graph, GridScheduler grids, String task, FloatArray q, FloatArray k, FloatArray v,
                          IntArray window, FloatArray out, int lq, int cap, int heads, int d, float scale) {
            DeviceAttention a = kind.equals("mma") && MmaAttention.fits(lq, d) ? new MmaAttention()
                    : kind.equals("scores") && ScoreMatrixAttention.fits(lq, d) ? new ScoreMatrixAttention()
                    : d == 128 ? new RegAttention() : new JavaAttention();
            a.addTo(graph, grids, task, q, k, v, window, out, lq, cap, heads, d, scale);
        }
    }
}
