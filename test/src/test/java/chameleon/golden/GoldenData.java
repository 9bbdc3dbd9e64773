package chameleon.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** Locates {@code ../shared/golden} and compares computed tensors with the recorded ones. */
final class GoldenData {
    private GoldenData() {
    }

    /** The golden folder; the test is skipped, with the reason, only when it is absent. */
    static Path dir() {
        Path dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isDirectory(dir), "golden data folder " + dir.toAbsolutePath()
                + " is absent: parity tests skipped");
        return dir;
    }

    /** Max |a − b| over all elements; the shapes must agree. */
    static double maxAbsDiff(Tensor expected, Tensor actual, String name) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), name + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double max = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) e[i] - a[i]);
            if (!(d <= max)) {
                max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        return max;
    }

    /** Asserts every name of {@code required} and every other common output is within {@code tol}. */
    static void assertWithin(Map<String, Tensor> expected, Map<String, Tensor> actual, Iterable<String> required,
                             double tol) {
        for (String name : required) {
            assertTrue(actual.containsKey(name), "replay did not produce " + name);
            assertTrue(expected.containsKey(name), "golden case lacks " + name);
        }
        StringBuilder report = new StringBuilder();
        double worst = 0;
        String worstName = "";
        for (var entry : actual.entrySet()) {
            Tensor e = expected.get(entry.getKey());
            if (e == null) {
                continue;
            }
            double d = maxAbsDiff(e, entry.getValue(), entry.getKey());
            report.append(String.format(Locale.ROOT, "  %-28s %.3e%n", entry.getKey(), d));
            if (!(d <= worst)) {
                worst = d;
                worstName = entry.getKey();
            }
        }
        System.out.print(report);
        assertTrue(worst <= tol, "max |diff| " + worst + " on " + worstName + " exceeds " + tol + "\n" + report);
    }
}
