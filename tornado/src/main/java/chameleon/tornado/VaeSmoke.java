package chameleon.tornado;

import chameleon.runtime.replay.VaeCaseReplay;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.TensorArchive;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Replays the golden VAE case ({@code vae.safetensors} + {@code vae_case.safetensors}: image encode,
 * 4-frame streaming decode, video encode) through the TornadoVM backend and prints, per output tensor,
 * the max |diff|, the max |expected| and their ratio (the relative error the GPU port is judged by),
 * then the replay times (run 1 includes plan building and JIT) and a per-op profile.
 *
 * <p>usage: {@code VaeSmoke GOLDEN_DIR [runs=2] [tolerance=1e-4] [--cpu]}. Exit status 1 if any output's
 * relative error exceeds the tolerance (or an output is missing or misshapen); {@code --cpu} replays on
 * the CPU backend instead (a baseline).
 */
public final class VaeSmoke {
    private VaeSmoke() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "../shared/golden");
        int runs = args.length > 1 && !args[1].startsWith("--") ? Integer.parseInt(args[1]) : 2;
        double tol = args.length > 2 && !args[2].startsWith("--") ? Double.parseDouble(args[2]) : 1e-4;
        boolean cpu = List.of(args).contains("--cpu");
        if (!Files.isRegularFile(dir.resolve("vae_case.safetensors")) || !Files.isRegularFile(dir.resolve("vae.safetensors"))) {
            System.err.println("need vae.safetensors and vae_case.safetensors in " + dir.toAbsolutePath());
            System.exit(2);
        }
        System.out.println("java " + Runtime.version() + ", tornado.recover.bailout="
                + System.getProperty("tornado.recover.bailout", "(unset)"));
        double worst;
        if (cpu) {
            System.out.println("== backend: cpu (baseline)");
            worst = replay(dir, runs, new ProfilingBackend(new CpuBackend()), System.out);
        } else {
            try (TornadoBackend tornado = new TornadoBackend()) {
                System.out.println("== backend: tornado, device: " + TornadoBackend.deviceDescription());
                worst = replay(dir, runs, new ProfilingBackend(tornado), System.out);
                System.out.println("plans compiled: " + tornado.planCount());
            }
        }
        boolean pass = worst <= tol;
        System.out.printf(Locale.ROOT, "RESULT vae %s %s: worst relative error %.3e (tolerance %.0e)%n",
                cpu ? "cpu" : "tornado", pass ? "PASS" : "FAIL", worst, tol);
        System.exit(pass ? 0 : 1);
    }

    /** Replays the case {@code runs} times and compares the last run; returns the worst relative error. */
    static double replay(Path dir, int runs, ProfilingBackend backend, PrintStream out) throws Exception {
        try (TensorArchive weights = new GpuSmoke.MemoizedArchive(TensorArchive.open(dir.resolve("vae.safetensors")));
             TensorArchive caseFile = TensorArchive.open(dir.resolve("vae_case.safetensors"))) {
            double worst = Double.NaN;
            for (int run = 1; run <= runs; run++) {
                backend.reset();
                long t0 = System.nanoTime();
                LinkedHashMap<String, Tensor> actual = VaeCaseReplay.run(weights, caseFile, backend);
                double seconds = (System.nanoTime() - t0) / 1e9;
                out.printf(Locale.ROOT, "run %d: replay of vae_case (image encode, 4-frame decode, video encode) %.3f s%s%n",
                        run, seconds, run == 1 ? " (plans and JIT included)" : "");
                out.print(backend.report());
                if (run == runs) {
                    worst = compare(caseFile, actual, out);
                }
            }
            return worst;
        }
    }

    /**
     * Prints max |diff|, max |expected| and their ratio for every replayed output the case records;
     * returns the largest ratio (∞ for a shape mismatch, NaN, or when nothing was compared).
     */
    public static double compare(TensorArchive caseFile, Map<String, Tensor> actual, PrintStream out) {
        double worst = 0;
        String worstName = "";
        int compared = 0;
        out.printf(Locale.ROOT, "  %-20s %12s %12s %12s%n", "output", "max|diff|", "max|expect|", "relative");
        for (var entry : actual.entrySet()) {
            if (!caseFile.contains(entry.getKey())) {
                continue;
            }
            Tensor e = caseFile.tensor(entry.getKey()), a = entry.getValue();
            double diff = 0, scale = 0, rel;
            if (!java.util.Arrays.equals(e.shape().dims(), a.shape().dims())) {
                diff = rel = Double.POSITIVE_INFINITY;
            } else {
                float[] ev = e.toFloatArray(), av = a.toFloatArray();
                for (int i = 0; i < ev.length; i++) {
                    double d = Math.abs((double) ev[i] - av[i]);
                    if (!(d <= diff)) {
                        diff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                    }
                    scale = Math.max(scale, Math.abs(ev[i]));
                }
                rel = diff / Math.max(scale, Double.MIN_NORMAL);
            }
            compared++;
            out.printf(Locale.ROOT, "  %-20s %12.3e %12.3e %12.3e%n", entry.getKey(), diff, scale, rel);
            if (!(rel <= worst)) {
                worst = rel;
                worstName = entry.getKey();
            }
        }
        out.printf(Locale.ROOT, "%d outputs compared, worst relative error %.3e on %s%n", compared, worst, worstName);
        return compared == 0 ? Double.POSITIVE_INFINITY : worst;
    }
}
