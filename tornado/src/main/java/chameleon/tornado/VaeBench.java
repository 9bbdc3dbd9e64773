package chameleon.tornado;

import chameleon.layers.vae.VaeConfig;
import chameleon.layers.vae.VaeDecoderStream;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.InMemoryArchive;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Streaming decode of latent frames at the real Wan2.2 VAE shape (z 48, decoder width 256, dim_mult
 * [1, 2, 4, 4]; latent [48, 1, 44, 80] → pixels [3, 1 or 4, 704, 1280]) on the TornadoVM backend, with
 * deterministic random F32 weights built in memory (the real module tree, {@link VaeConfig#expectedTensors()};
 * weights uniform with std 1/√fan-in, norm gammas 1, biases 0: nothing read from disk). Decodes frame 0 (1 pixel
 * frame) and then later frames (4 pixel frames each; the first later one also compiles its plans), and prints
 * seconds per latent frame, the per-op profile of each, and the tensor-core conv kernel time.
 *
 * <pre>VaeBench [--conv mma|fp32] [--frames 3] [--budget-seconds 300]</pre>
 * {@code --budget-seconds}: no new frame starts once this much time has passed.
 */
public final class VaeBench {
    private VaeBench() {
    }

    public static void main(String[] args) {
        List<String> a = Arrays.asList(args);
        String conv = a.contains("--conv") ? a.get(a.indexOf("--conv") + 1) : "mma";
        int frames = a.contains("--frames") ? Integer.parseInt(a.get(a.indexOf("--frames") + 1)) : 3;
        double budget = a.contains("--budget-seconds") ? Double.parseDouble(a.get(a.indexOf("--budget-seconds") + 1)) : 300;
        long start = System.nanoTime();
        VaeConfig config = new VaeConfig(160, 256, 48, new int[] {1, 2, 4, 4}, 2,
                new boolean[] {false, true, true}, new boolean[] {true, true, false});
        InMemoryArchive archive = new InMemoryArchive("<random Wan2.2 VAE weights>");
        long params = 0;
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            String name = e.getKey();
            int[] dims = e.getValue().dims();
            Tensor t;
            if (name.endsWith(".bias")) {
                t = Tensor.zeros(dims);
            } else if (name.endsWith(".gamma")) {
                float[] v = new float[(int) e.getValue().numel()];
                Arrays.fill(v, 1f);
                t = Tensor.of(v, dims);
            } else {
                t = ConvBench.random(name.hashCode(), (float) (1 / Math.sqrt(e.getValue().numel() / (double) dims[0])), dims);
            }
            params += e.getValue().numel();
            archive.put(name, t);
        }
        System.out.printf(Locale.ROOT, "VaeBench on %s, conv %s: %s, %.1f M params (F32), weights built in %.1f s%n",
                TornadoBackend.deviceDescription(), conv, config, params / 1e6, (System.nanoTime() - start) / 1e9);
        try (TornadoBackend tornado = ConvBench.backend("fp32".equals(conv) ? "fp32" : null)) {
            System.out.println("conv3d on tensor cores: " + tornado.convOnTensorCores());
            ProfilingBackend backend = new ProfilingBackend(tornado);
            WanVae vae = new WanVae(archive, backend);
            VaeDecoderStream stream = vae.decoderStream();
            Tensor latent = ConvBench.random(11, 1f, 48, 1, 44, 80);
            for (int f = 0; f < frames; f++) {
                if ((System.nanoTime() - start) / 1e9 > budget) {
                    System.out.println("budget of " + budget + " s reached: no more frames");
                    break;
                }
                backend.reset();
                double k0 = tornado.convKernelSeconds();
                long t0 = System.nanoTime();
                Tensor pixels = stream.decodeFrame(latent);
                double s = (System.nanoTime() - t0) / 1e9;
                float[] v = pixels.toFloatArray();
                double mean = 0;
                int bad = 0;
                for (float p : v) {
                    mean += Math.abs(p);
                    bad += Float.isFinite(p) ? 0 : 1;
                }
                System.out.printf(Locale.ROOT, "RESULT frame %d (%s): %s in %.3f s%s; tensor-core conv kernels %.3f s; mean|px| %.4f, non-finite %d%n",
                        f, f == 0 ? "first latent frame" : "later latent frame", pixels.shape(), s,
                        f <= 1 ? " (includes plan building and JIT)" : "", tornado.convKernelSeconds() - k0, mean / v.length, bad);
                System.out.print(backend.report());
                ResidentVaeDecoder device = tornado.residentDecoderOf(vae);
                if (device != null && device.graph() != null) {
                    System.out.printf(Locale.ROOT, "device-resident decoder graph: %.2f GB of device arrays, weights to fp16 max |err| %.2e%n",
                            device.graph().bytes() / 1e9, device.graph().maxConversionError());
                    System.out.print(device.graph().profileReport());
                }
                System.out.flush();
            }
            System.out.println("plans compiled: " + tornado.planCount());
        }
    }
}
