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

/**
 * Turns a JMH JSON result ({@code -rf json}) of these benchmarks into a Markdown table: time per call
 * and the rate that matters for each (GFLOP/s for kernels and the DiT forward, MB/s for checkpoint
 * reads, output frames/s for the VAE), using the work counts the benchmark classes define. Then checks
 * that opening a checkpoint is O(header): the open time of the 10 GB (sparse) 5B checkpoint must be
 * close to that of the 15 MB one with the same tensors, and likewise for .pth at 15 MB vs 230 MB.
 *
 * <p>Usage: {@code java -cp benchmarks.jar chameleon.bench.Summary RESULT.json}. Exit status 2 if the
 * O(header) check fails, 1 on unreadable input.
 */
public final class Summary {
    /** Open time may grow this much from the small to the large checkpoint before it counts as O(data). */
    static final double MAX_OPEN_RATIO = 4.0;

    private record Row(String benchmark, String workload, double ms, double msError, String rate) {
    }

    private Summary() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Summary RESULT.json");
            System.exit(1);
        }
        JsonNode results = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        List<Row> rows = new ArrayList<>();
        Map<String, Double> openMs = new LinkedHashMap<>();
        String jdk = null;
        for (JsonNode r : results) {
            jdk = r.path("vmName").asText() + " " + r.path("jdkVersion").asText() + " (" + r.path("vmVersion").asText() + ")";
            Row row = row(r);
            rows.add(row);
            if (className(r).equals("CheckpointOpenBenchmark")) {
                openMs.put(r.path("params").path("checkpoint").asText(), row.ms);
            }
        }
        System.out.println("JVM: " + jdk);
        System.out.println();
        System.out.println("| benchmark | workload | time per call | rate |");
        System.out.println("|---|---|---:|---:|");
        for (Row row : rows) {
            System.out.println("| " + row.benchmark + " | " + row.workload + " | " + time(row.ms, row.msError) + " | "
                    + row.rate + " |");
        }
        boolean ok = checkOpen(openMs, "sharded-small", "sharded-5b-sparse")
                & checkOpen(openMs, "pth-small", "pth-large");
        System.exit(ok ? 0 : 2);
    }

    private static String className(JsonNode r) {
        String[] parts = r.path("benchmark").asText().split("\\.");
        return parts[parts.length - 2];
    }

    private static Row row(JsonNode r) {
        String method = r.path("benchmark").asText().replaceAll(".*\\.", "");
        JsonNode p = r.path("params");
        JsonNode metric = r.path("primaryMetric");
        double toMs = msPer(metric.path("scoreUnit").asText());
        double ms = metric.path("score").asDouble() * toMs;
        double err = metric.path("scoreError").asDouble(Double.NaN) * toMs;
        double seconds = ms / 1000;
        return switch (className(r)) {
            case "GemmBenchmark" -> {
                String shape = p.path("shape").asText();
                yield new Row("GEMM `linear`", "M×N×K " + shape.replace("x", "×") + ", " + p.path("weights").asText()
                        + " weights", ms, err, gflops(GemmBenchmark.flops(shape), seconds));
            }
            case "AttentionBenchmark" -> {
                String shape = p.path("shape").asText();
                int[] d = Shapes.parse(shape, 3);
                yield new Row("attention", "Lq " + d[0] + " × Lkv " + d[1] + " × " + d[2] + " heads × "
                        + AttentionBenchmark.HEAD_DIM, ms, err, gflops(AttentionBenchmark.flops(shape), seconds));
            }
            case "Conv3dBenchmark" -> {
                String shape = p.path("shape").asText();
                int[] d = Shapes.parse(shape, 5);
                yield new Row("conv3d", d[0] + "→" + d[1] + " ch, 3×3×3, out " + d[2] + "×" + d[3] + "×" + d[4],
                        ms, err, gflops(Conv3dBenchmark.flops(shape), seconds));
            }
            case "CheckpointOpenBenchmark" -> {
                String c = p.path("checkpoint").asText();
                yield new Row("open + close", c + " (" + megabytes(CheckpointOpenBenchmark.dataBytes(c)) + " data)",
                        ms, err, "—");
            }
            case "CheckpointReadBenchmark" -> {
                long bytes = CheckpointReadBenchmark.dataBytes();
                yield new Row("open + " + method, p.path("format").asText() + " (" + megabytes(bytes) + ")", ms, err,
                        String.format(Locale.ROOT, "%.0f MB/s", bytes / 1e6 / seconds));
            }
            case "DitForwardBenchmark" -> new Row("DiT forward", "dim 512, 4 layers, 192 tokens, 640-token KV window",
                    ms, err, gflops(DitForwardBenchmark.flops(), seconds));
            case "VaeDecodeBenchmark" -> new Row("VAE decode " + method, "[48,1,8,8] → " + VaeDecodeBenchmark.outputFrames(method)
                    + "×128×128, decDim " + VaeDecodeBenchmark.DECODER_DIM, ms, err,
                    String.format(Locale.ROOT, "%.1f frames/s", VaeDecodeBenchmark.outputFrames(method) / seconds));
            default -> new Row(r.path("benchmark").asText(), p.toString(), ms, err, "—");
        };
    }

    /** Prints the ratio of open times and whether it stays within {@link #MAX_OPEN_RATIO}. */
    private static boolean checkOpen(Map<String, Double> openMs, String small, String large) {
        Double a = openMs.get(small), b = openMs.get(large);
        if (a == null || b == null) {
            return true; // not part of this run (a filtered run)
        }
        double dataRatio = (double) CheckpointOpenBenchmark.dataBytes(large) / CheckpointOpenBenchmark.dataBytes(small);
        double ratio = b / a;
        boolean ok = ratio <= MAX_OPEN_RATIO;
        System.out.printf(Locale.ROOT, "%nO(header) check: open %s / open %s = %.2f× for %.0f× the data → %s (limit %.0f×)%n",
                large, small, ratio, dataRatio, ok ? "PASS" : "FAIL", MAX_OPEN_RATIO);
        return ok;
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

    private static String gflops(double flops, double seconds) {
        return String.format(Locale.ROOT, "%.1f GFLOP/s", flops / 1e9 / seconds);
    }

    private static String megabytes(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
