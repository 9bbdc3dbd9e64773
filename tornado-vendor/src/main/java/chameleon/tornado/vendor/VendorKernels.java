package chameleon.tornado.vendor;

import chameleon.tensor.Tensor;
import chameleon.tornado.plan.DeviceAttention;
import chameleon.tornado.plan.DeviceKvCache;
import chameleon.tornado.plan.DeviceKernels;
import chameleon.tornado.plan.DeviceLinear;
import chameleon.tornado.plan.HalfKvCache;
import java.util.List;

/**
 * {@code --kernels vendor}: GEMM through cuBLAS ({@link CublasLinear}, F16 operands, F32 accumulate) and attention
 * through cuDNN's fused SDPA ({@link CudnnAttention}) as TornadoVM library tasks on TornadoVM's own device buffers;
 * every other op stays a Java kernel. Needs TornadoVM's CUDA backend with the tornado.cublas and tornado.cudnn
 * modules (the constructors say so otherwise).
 *
 * <p>{@code -Dchameleon.tornado.vendor.weights=pointer} (default): the GEMMs read layer ℓ's weight in place through
 * {@link LayerGemm} instead of a staged copy, and the plan runs without CUDA graphs; {@code staged} copies each layer's
 * weight out first. H100, same lease, two rounds, median of three later chunks: chunk 586.9 → 550.9 ms, full-window
 * forward 115.4 → 108.0 ms with pointer (bench/gpu/results/2026-12-07-h100-session9). {@code pointer-all}: ffn.0's
 * cuBLASLt GELU_BIAS product reads its layer in place too ({@link LayerGeluGemm}, 0.105 ms of staging a block; written
 * in session 9, not yet run on a GPU, so not the default).
 *
 * <p>{@code -Dchameleon.tornado.vendor.attention=cache} (default): the KV cache is kept F16 in cuDNN's layout
 * ({@link HalfKvCache}) and self-attention reads a full window of it in place at head dim d ({@link CudnnCacheAttention};
 * no CUDA graphs); {@code packed}: TornadoVM's own cuDNN task over a window packed every call into a buffer of length cap
 * with a mask column ({@link CudnnAttention}).
 * H100, same lease: a later chunk 763 → 677 ms, a first-chunk-window forward 144 → 116 ms with cache
 * (bench/gpu/results/2026-12-07-h100-session8).
 */
public final class VendorKernels implements DeviceKernels {
    private final CublasLinear.Weights weights =
            switch (System.getProperty("chameleon.tornado.vendor.weights", "pointer")) {
                case "staged" -> CublasLinear.Weights.STAGED;
                case "pointer" -> CublasLinear.Weights.IN_PLACE;
                case "pointer-all" -> CublasLinear.Weights.IN_PLACE_ALL;
                default -> throw new IllegalArgumentException("-Dchameleon.tornado.vendor.weights must be staged, pointer or"
                        + " pointer-all, got " + System.getProperty("chameleon.tornado.vendor.weights"));
            };
    private final boolean cacheAttention = switch (System.getProperty("chameleon.tornado.vendor.attention", "cache")) {
        case "cache" -> true;
        case "packed" -> false;
        default -> throw new IllegalArgumentException("-Dchameleon.tornado.vendor.attention must be cache or packed, got "
                + System.getProperty("chameleon.tornado.vendor.attention"));
    };

    @Override
    public String name() {
        String route = switch (weights) {
            case STAGED -> "";
            case IN_PLACE -> " on weights in place";
            case IN_PLACE_ALL -> " on weights in place, ffn.0's cuBLASLt product too";
        };
        return "vendor (cuBLAS GemmEx F16→F32" + route + ", cuDNN SDPA F16 "
                + (cacheAttention ? "on an F16 KV cache)" : "on packed windows)");
    }

    @Override
    public DeviceLinear linear(List<Tensor> weights, List<Tensor> biases) {
        return new CublasLinear(weights, biases, CublasLinear.Precision.HALF, this.weights);
    }

    @Override
    public boolean replayable() {
        return weights == CublasLinear.Weights.STAGED && !cacheAttention;
    }

    /** With the cache attention: the cache in its F16 layout ({@link HalfKvCache}), the only copy on the device. */
    @Override
    public DeviceKvCache kvCache(int layers, int cap, int heads, int headDim) {
        return cacheAttention ? new HalfKvCache(layers, cap, heads, headDim)
                : DeviceKernels.super.kvCache(layers, cap, heads, headDim);
    }

    @Override
    public DeviceAttention attention() {
        return cacheAttention ? new CudnnCacheAttention() : new CudnnAttention(CudnnAttention.Keys.WINDOW);
    }

    @Override
    public DeviceAttention crossAttention() {
        return new CudnnAttention(CudnnAttention.Keys.FULL);
    }
}
