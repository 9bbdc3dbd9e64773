package chameleon.tornado.plan;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;

/**
 * Device kernel time per task, read from TornadoVM's profiler log of an execution (a plan built with
 * {@code withProfiler(ProfilerMode.SILENT)}). The log holds each task's latest kernel time, not a sum.
 * {@link #record} keeps each graph's latest log and the logs are parsed only when a report is asked for: parsing
 * every execution's JSON took most of a profiled forward's host time (JFR on the H100, 2026-12-07), 30 block
 * executions a forward.
 */
public final class TaskTimes {
    private static final Pattern TASK_TIME = Pattern.compile("\"([^\"]+)\": \\{[^{}]*?\"TASK_KERNEL_TIME\": \"(\\d+)\"");

    private final Map<String, String> logs = new LinkedHashMap<>(); // graph → its latest log, latest execution last

    /** Keeps the kernel times of one execution of {@code graph} (its earlier ones are superseded). */
    public void record(String graph, TornadoExecutionResult r) {
        logs.remove(graph);
        logs.put(graph, r.getProfilerResult().getProfileLog());
    }

    /** Task (graph name stripped) → its latest kernel ns; a task name in several graphs: the latest execution. */
    private Map<String, Long> latest() {
        Map<String, Long> latest = new TreeMap<>();
        for (String log : logs.values()) {
            Matcher m = TASK_TIME.matcher(log);
            while (m.find()) {
                String task = m.group(1);
                latest.put(task.substring(task.indexOf('.') + 1), Long.parseLong(m.group(2)));
            }
        }
        return latest;
    }

    /** Sum of the latest kernel times of every task. */
    public long totalNanos() {
        return latest().values().stream().mapToLong(Long::longValue).sum();
    }

    public void clear() {
        logs.clear();
    }

    /** One line per task, slowest first: "  name   ms". */
    public String report() {
        StringBuilder b = new StringBuilder();
        latest().entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> b.append(String.format(Locale.ROOT, "  %-40s %12.3f%n", e.getKey(), e.getValue() / 1e6)));
        return b.toString();
    }
}
