package chameleon.tornado;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line of the device benchmarks ({@link GpuBench}, {@link T5Bench}): {@code --name value},
 * {@code --name=value}, or a bare {@code --flag} for the names the tool declares as flags; and their one-line
 * JSON results ({@code RESULT {...}}, {@code PARTIAL stage {...}}) that bench/gpu reads.
 */
final class BenchArgs {
    private final Map<String, String> values;

    private BenchArgs(Map<String, String> values) {
        this.values = values;
    }

    /** @param tool named in the errors; @param flags the options that take no value */
    static BenchArgs parse(String[] args, String tool, Set<String> flags) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (!k.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + k + " (flags: see the " + tool + " javadoc)");
            }
            k = k.substring(2);
            int eq = k.indexOf('=');
            if (eq >= 0) {
                m.put(k.substring(0, eq), k.substring(eq + 1));
            } else if (flags.contains(k)) {
                m.put(k, "");
            } else if (i + 1 < args.length) {
                m.put(k, args[++i]);
            } else {
                throw new IllegalArgumentException("--" + k + " needs a value");
            }
        }
        return new BenchArgs(m);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String get(String name, String def) {
        return values.getOrDefault(name, def);
    }

    int intArg(String name, int def) {
        return values.containsKey(name) ? Integer.parseInt(values.get(name)) : def;
    }

    /** One JSON object: numbers and booleans bare, lists as arrays, everything else a quoted string. */
    static String json(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("{");
        for (var e : m.entrySet()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(quote(e.getKey())).append(": ").append(value(e.getValue()));
        }
        return sb.append('}').toString();
    }

    private static String value(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (Object o : l) {
                sb.append(sb.length() > 1 ? ", " : "").append(value(o));
            }
            return sb.append(']').toString();
        }
        return quote(String.valueOf(v));
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }

    /** The median of a non-empty list. */
    static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
