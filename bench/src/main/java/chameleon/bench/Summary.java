package chameleon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * Turns a JMH JSON result ({@code -rf json}) of these benchmarks into a Markdown table: time per call
 * and the rate that matters for each (GFLOP/s for kernels and the DiT forward, MB/s for checkpoint
 * reads, output frames/s for the VAE), using the work counts the benchmark classes define.
 *
 * <p>Then checks that opening a sharded safetensors checkpoint is O(header): opening the 10 GB (sparse)
 * 5B checkpoint may take at most {@link #MAX_OPEN_RATIO} times as long as opening the 15 MB one with
 * the same tensor names, where reading the data would make it hundreds of times slower. The fastest
 * measured iteration of each is compared, because on a shared machine the mean mostly measures the
 * neighbours. The .pth open times at 15 MB and 230 MB are printed beside it for information only: at
 * 15× the data and a larger fixed cost (zip directory, pickle) their ratio cannot separate O(header)
 * from O(data) reliably.
 *
 * <p>Usage: {@code java -cp benchmarks.jar chameleon.bench.Summary RESULT.json}. Exit status 2 if the
 * O(header) check fails, 1 on unreadable input.
 */
public final class Summary {
    /** Open time may grow this much from 15 MB to 10 GB of data (648×) before it counts as O(data). */
    static final double MAX_OPEN_RATIO = 4.0;

    private record Row(String benchmark, String workload, DoubleFunction<String> rate) {
    }

    private Summary() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Summary RESULT.json");
            System.exit(1);
        }
        JsonNode results = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        List<String> lines = new ArrayList<>();
        Map<String, Double> openMs = new LinkedHashMap<>();
        String jdk = null;
        for (JsonNode r : results) {
            jdk = r.path("vmName").asText() + " " + r.path("jdkVersion").asText() + " (" + r.path("vmVersion").asText() + ")";
            JsonNode metric = r.path("primaryMetric");
            double toMs = msPer(metric.path("scoreUnit").asText());
            double ms = metric.path("score").asDouble() * toMs;
            double err = metric.path("scoreError").asDouble(Double.NaN) * toMs;
            double fastest = fastestMs(r);
            Row row = row(r);
            lines.add("| " + row.benchmark + " | " + row.workload + " | " + time(ms, err) + " | " + number(fastest)
                    + " ms | " + row.rate.apply(ms) + " | " + row.rate.apply(fastest) + " |");
            if (className(r).equals("CheckpointOpenBenchmark")) {
                openMs.put(r.path("params").path("checkpoint").asText(), fastest);
            }
        }
        System.out.println("JVM: " + jdk);
        System.out.println();
        System.out.println("| benchmark | workload | mean time ± 99.9% CI | fastest iteration | rate at mean | rate at fastest |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        lines.forEach(System.out::println);
        boolean ok = compareOpen(openMs, "sharded-small", "sharded-5b-sparse", true);
        compareOpen(openMs, "pth-small", "pth-large", false);
        System.exit(ok ? 0 : 2);
    }

    private static String className(JsonNode r) {
        String[] parts = r.path("benchmark").asText().split("\\.");
        return parts[parts.length - 2];
    }

    /** How a result is labelled, and its rate as a function of the time per call in ms. */
    private static Row row(JsonNode r) {
        String method = r.path("benchmark").asText().replaceAll(".*\\.", "");
        JsonNode p = r.path("params");
        return switch (className(r)) {
            case "GemmBenchmark" -> {
                String shape = p.path("shape").asText();
                yield new Row("GEMM `linear`", "M×N×K " + shape.replace("x", "×") + ", " + p.path("weights").asText()
                        + " weights", gflops(GemmBenchmark.flops(shape)));
            }
            case "AttentionBenchmark" -> {
                String shape = p.path("shape").asText();
                int[] d = Shapes.parse(shape, 3);
                yield new Row("attention", "Lq " + d[0] + " × Lkv " + d[1] + " × " + d[2] + " heads × "
                        + AttentionBenchmark.HEAD_DIM, gflops(AttentionBenchmark.flops(shape)));
            }
            case "Conv3dBenchmark" -> {
                String shape = p.path("shape").asText();
                int[] d = Shapes.parse(shape, 5);
                yield new Row("conv3d", d[0] + "→" + d[1] + " ch, 3×3×3, out " + d[2] + "×" + d[3] + "×" + d[4],
                        gflops(Conv3dBenchmark.flops(shape)));
            }
            case "CheckpointOpenBenchmark" -> {
                String c = p.path("checkpoint").asText();
                yield new Row("open + close", c + " (" + megabytes(CheckpointOpenBenchmark.dataBytes(c)) + " data)",
                        ms -> "—");
            }
            case "CheckpointReadBenchmark" -> {
                long bytes = CheckpointReadBenchmark.dataBytes();
                yield new Row("open + " + method, p.path("format").asText() + " (" + megabytes(bytes) + ")",
                        ms -> String.format(Locale.ROOT, "%.0f MB/s", bytes / 1e3 / ms));
            }
            case "DitForwardBenchmark" -> new Row("DiT forward", "dim 512, 4 layers, 192 tokens, 640-token KV window",
                    gflops(DitForwardBenchmark.flops()));
            case "VaeDecodeBenchmark" -> {
                int frames = VaeDecodeBenchmark.outputFrames(method);
                yield new Row("VAE decode " + method, "[48,1,8,8] → " + frames + "×128×128, decDim "
                        + VaeDecodeBenchmark.DECODER_DIM, ms -> String.format(Locale.ROOT, "%.1f frames/s", frames * 1e3 / ms));
            }
            default -> new Row(r.path("benchmark").asText(), p.toString(), ms -> "—");
        };
    }

    /**
     * Prints the ratio of the fastest open times of two checkpoints; when {@code check}, also whether it
     * stays within {@link #MAX_OPEN_RATIO}, and returns false if not.
     */
    private static boolean compareOpen(Map<String, Double> openMs, String small, String large, boolean check) {
        Double a = openMs.get(small), b = openMs.get(large);
        if (a == null || b == null) {
            return true; // not part of this run (a filtered run)
        }
        double dataRatio = (double) CheckpointOpenBenchmark.dataBytes(large) / CheckpointOpenBenchmark.dataBytes(small);
        double ratio = b / a;
        boolean ok = ratio <= MAX_OPEN_RATIO;
        String verdict = check ? (ok ? "PASS" : "FAIL") + String.format(Locale.ROOT, " (limit %.0f×)", MAX_OPEN_RATIO)
                : "(information only)";
        System.out.printf(Locale.ROOT, "%nO(header) %s: fastest open %s %s / %s %s = %.2f× for %.0f× the data → %s%n",
                check ? "check" : "comparison", large, number(b) + " ms", small, number(a) + " ms", ratio, dataRatio,
                verdict);
        return !check || ok;
    }

    /** The fastest measured iteration, in ms per call. */
    private static double fastestMs(JsonNode r) {
        JsonNode metric = r.path("primaryMetric");
        double min = Double.POSITIVE_INFINITY;
        for (JsonNode fork : metric.path("rawData")) {
            for (JsonNode iteration : fork) {
                min = Math.min(min, iteration.asDouble());
            }
        }
        return min * msPer(metric.path("scoreUnit").asText());
    }

    private static double msPer(String unit) {
        return switch (unit) {
            case "s/op" -> 1e3;
            case "ms/op" -> 1;
            case "us/op" -> 1e-3;
            case "ns/op" -> 1e-6;
            default -> throw new IllegalArgumentException("unexpected score unit " + unit + " (run in avgt mode)");
        };
    }

    private static String time(double ms, double err) {
        String e = Double.isFinite(err) ? String.format(Locale.ROOT, " ± %s", number(err)) : "";
        return number(ms) + e + " ms";
    }

    /** Three significant digits or so, without scientific notation. */
    private static String number(double v) {
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (v >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static DoubleFunction<String> gflops(double flops) {
        return ms -> String.format(Locale.ROOT, "%.1f GFLOP/s", flops / 1e6 / ms);
    }

    private static String megabytes(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
