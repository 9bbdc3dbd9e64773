package chameleon.tornado;

import chameleon.layers.vae.VaeConfig;
import chameleon.layers.vae.WanVae;
import chameleon.runtime.RandomWeights;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tornado.plan.EncoderGraph;
import chameleon.weights.InMemoryArchive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Times the single-image VAE encode of a garment switch on the device ({@link ResidentVaeEncoder},
 * {@code plan/EncoderGraph}) at the real Wan2.2 shape: a 1280×704 image → a [48, 1, 44, 80] latent, on deterministic
 * random F32 weights ({@link RandomWeights}, std 1/√fan-in; nothing read from disk). Prints the first encode (graph
 * build, weight upload, JIT) and each steady encode in seconds, the graph's device bytes and fp16 weight error, and
 * with {@code -Dchameleon.tornado.profile=true} the per-task device times; then a {@code RESULT} JSON line.
 *
 * <pre>VaeEncodeBench [--height 704] [--width 1280] [--iters 3] [--check] [--op-by-op]</pre>
 * {@code --check}: also encodes with the fp32 kernels ({@code convF32}) and prints the relative error
 * (max |diff| / max |μ|) of the tensor-core μ against it. {@code --op-by-op}: also times the op-by-op encoder
 * ({@code -Dchameleon.tornado.residentVae=false}, the path before the device encoder) once after a first warm-up
 * encode, and compares its μ with the device encoder's.
 */
public final class VaeEncodeBench {
    private VaeEncodeBench() {
    }

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.parse(args, "VaeEncodeBench", Set.of("check", "op-by-op"));
        int height = a.intArg("height", 704), width = a.intArg("width", 1280), iters = a.intArg("iters", 3);
        VaeConfig config = VaeConfig.wan22();
        long t0 = System.nanoTime();
        InMemoryArchive weights = RandomWeights.create("<random Wan2.2 VAE weights>", config.expectedTensors(), 1,
                DType.F32, RandomWeights.Scale.fanIn());
        Tensor image = ConvBench.random(5, 0.5f, 3, 1, height, width);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("bench", "chameleon-j VaeEncodeBench");
        result.put("device", TornadoBackend.deviceDescription());
        result.put("image", List.of(3, 1, height, width));
        System.out.printf(Locale.ROOT, "VaeEncodeBench on %s: image %d×%d, %s, weights built in %.1f s%n",
                TornadoBackend.deviceDescription(), width, height, config, (System.nanoTime() - t0) / 1e9);
        Tensor mu;
        try (TornadoBackend tornado = new TornadoBackend()) {
            result.put("conv", tornado.convOnTensorCores() ? "mma" : "fp32");
            WanVae vae = new WanVae(weights, tornado);
            List<Double> steady = new ArrayList<>();
            mu = null;
            for (int i = 0; i <= iters; i++) {
                long s = System.nanoTime();
                mu = vae.encodeMean(image);
                double sec = (System.nanoTime() - s) / 1e9;
                if (i == 0) {
                    result.put("first_s", sec);
                } else {
                    steady.add(sec);
                }
                System.out.printf(Locale.ROOT, "encode %d: %s in %.3f s%s; %s%n", i, mu.shape(), sec,
                        i == 0 ? " (graph build, weight upload, JIT)" : "", stats(mu));
            }
            EncoderGraph graph = tornado.residentEncoderOf(vae).graph();
            result.put("steady_median_s", steady.isEmpty() ? Double.NaN : BenchArgs.median(steady));
            result.put("graph_bytes", graph.bytes());
            result.put("fp16_weight_error", graph.maxConversionError());
            System.out.printf(Locale.ROOT, "device graph: %.2f GB of arrays, max |fp16(w) − w| %.3e%n", graph.bytes() / 1e9,
                    graph.maxConversionError());
            System.out.print(graph.profileReport());
        }
        if (a.has("check")) {
            try (EncoderGraph fp32 = new EncoderGraph(weights, config, height, width, false)) {
                Tensor reference = fp32.encodeMean(image);
                long s = System.nanoTime();
                reference = fp32.encodeMean(image);
                double rel = relative(reference, mu);
                System.out.printf(Locale.ROOT, "fp32 kernels: %.3f s a steady encode; device μ vs fp32 μ: relative %.3e%n",
                        (System.nanoTime() - s) / 1e9, rel);
                result.put("relative_error_vs_fp32", rel);
            }
        }
        if (a.has("op-by-op")) {
            String key = "chameleon.tornado.residentVae";
            System.setProperty(key, "false");
            try (TornadoBackend opByOp = new TornadoBackend()) {
                WanVae vae = new WanVae(weights, opByOp);
                vae.encodeMean(image); // warm-up: plans and JIT
                long s = System.nanoTime();
                Tensor reference = vae.encodeMean(image);
                double sec = (System.nanoTime() - s) / 1e9;
                double rel = relative(reference, mu);
                System.out.printf(Locale.ROOT, "op by op: %.3f s a warm encode; device μ vs op-by-op μ: relative %.3e%n", sec, rel);
                result.put("op_by_op_s", sec);
                result.put("relative_error_vs_op_by_op", rel);
            } finally {
                System.clearProperty(key);
            }
        }
        System.out.println("RESULT " + BenchArgs.json(result));
    }

    private static String stats(Tensor t) {
        double mean = 0;
        int bad = 0;
        for (float v : t.toFloatArray()) {
            mean += Math.abs(v);
            bad += Float.isFinite(v) ? 0 : 1;
        }
        return String.format(Locale.ROOT, "mean|μ| %.4f, non-finite %d", mean / t.numel(), bad);
    }

    /** max |a − b| / max |a|. */
    private static double relative(Tensor expected, Tensor actual) {
        float[] e = expected.toFloatArray(), x = actual.toFloatArray();
        double d = 0, m = 0;
        for (int i = 0; i < e.length; i++) {
            double diff = Math.abs((double) e[i] - x[i]);
            d = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.max(d, diff);
            m = Math.max(m, Math.abs(e[i]));
        }
        return d / Math.max(m, Double.MIN_NORMAL);
    }
}
