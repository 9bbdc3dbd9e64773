package chameleon.tornado.plan;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;

/**
 * Device kernel time per task, read from TornadoVM's profiler log of an execution (a plan built with
 * {@code withProfiler(ProfilerMode.SILENT)}). The log holds each task's latest kernel time, not a sum.
 */
public final class TaskTimes {
    private static final Pattern TASK_TIME = Pattern.compile("\"([^\"]+)\": \\{[^{}]*?\"TASK_KERNEL_TIME\": \"(\\d+)\"");

    private final Map<String, Long> latest = new TreeMap<>(); // task (graph name stripped) → ns

    /** Records the kernel times of one execution. */
    public void record(TornadoExecutionResult r) {
        Matcher m = TASK_TIME.matcher(r.getProfilerResult().getProfileLog());
        while (m.find()) {
            String task = m.group(1);
            latest.put(task.substring(task.indexOf('.') + 1), Long.parseLong(m.group(2)));
        }
    }

    /** Sum of the latest kernel times of every task. */
    public long totalNanos() {
        return latest.values().stream().mapToLong(Long::longValue).sum();
    }

    public void clear() {
        latest.clear();
    }

    /** One line per task, slowest first: "  name   ms". */
    public String report() {
        StringBuilder b = new StringBuilder();
        latest.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> b.append(String.format(Locale.ROOT, "  %-40s %12.3f%n", e.getKey(), e.getValue() / 1e6)));
        return b.toString();
    }
}
