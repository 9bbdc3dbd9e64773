package chameleon.tornado.plan;

import chameleon.tornado.kernels.FrameKernels;
import chameleon.tornado.kernels.RowKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A VAE graph's ops as one execution plan of chained TaskGraphs. TornadoVM writes a graph's tasks into a fixed
 * 8 KiB buffer (~15 + 5·arguments bytes a task, ~125 tasks whatever {@code tornado.tvm.maxbytecodesize} says), so
 * the ops run as graphs 1…n of at most {@link #TASKS_PER_GRAPH} tasks. Graph 0, executed once, uploads the shared
 * arrays (weights, volumes, cache slots, scratch) through touch tasks (a graph transfers only what its tasks use);
 * each later graph consumes every array from the graph executed just before it (TornadoVM hands device buffers
 * only from that one). Per call, graph 1 uploads the per-call arrays (input, geometry) and the last graph
 * downloads the output.
 */
final class GraphChain implements AutoCloseable {
    static final int TASKS_PER_GRAPH = 64;

    private final String title;
    private final FloatArray output;
    private final int graphs;
    private final boolean profiling = Boolean.getBoolean("chameleon.tornado.profile");
    private final TaskTimes times = new TaskTimes();
    private final long bytes;
    private TornadoExecutionPlan plan;

    /**
     * Builds the graphs and executes graph 0 (the uploads).
     *
     * @param title   what the chain computes, for messages ("VAE decoder"; its letters name the graphs)
     * @param ops     in call order; their device arrays and the arrays below exist
     * @param shared  arrays uploaded once (FloatArray / IntArray; the ops' own {@link GraphOp#deviceArrays} are added)
     * @param perCall arrays uploaded before every call
     * @param output  the array downloaded after every call
     */
    GraphChain(String title, List<GraphOp> ops, List<Object> shared, List<Object> perCall, FloatArray output) {
        this.title = title;
        this.output = output;
        List<Object> once = new ArrayList<>(shared);
        for (GraphOp op : ops) {
            once.addAll(op.deviceArrays());
        }
        FloatArray sink = new FloatArray(1); // what the int arrays' touch tasks write (never, in fact)
        once.add(sink);
        List<List<GraphOp>> segments = new ArrayList<>();
        int count = TASKS_PER_GRAPH;
        for (GraphOp op : ops) {
            if (count + op.tasks() > TASKS_PER_GRAPH) {
                segments.add(new ArrayList<>());
                count = 0;
            }
            segments.getLast().add(op);
            count += op.tasks();
        }
        String base = Plan.uniqueName(GraphOp.taskName(title).replace("_", ""));
        graphs = segments.size();
        String[] names = new String[graphs + 1];
        for (int i = 0; i <= graphs; i++) {
            names[i] = base + "_" + i;
        }
        Object[] all = once.toArray();
        List<FloatArray> floats = new ArrayList<>();
        List<IntArray> ints = new ArrayList<>();
        for (Object a : once) {
            if (a instanceof FloatArray f) {
                floats.add(f);
            } else {
                ints.add((IntArray) a);
            }
        }
        while (floats.size() % 4 != 0) { // a task must not name one array twice
            floats.add(new FloatArray(1));
        }
        TaskGraph init = new TaskGraph(names[0]).transferToDevice(DataTransferMode.FIRST_EXECUTION, floats.toArray());
        if (!ints.isEmpty()) {
            init.transferToDevice(DataTransferMode.FIRST_EXECUTION, ints.toArray());
        }
        for (int i = 0; i < ints.size(); i++) {
            init.task("touchInts" + i, FrameKernels::touchInts, ints.get(i), sink);
        }
        for (int i = 0; i < floats.size(); i += 4) {
            init.task("touch" + i, RowKernels::touch, floats.get(i), floats.get(i + 1), floats.get(i + 2), floats.get(i + 3));
        }
        init.persistOnDevice(all);
        List<TaskGraph> chain = new ArrayList<>(List.of(init));
        GridScheduler grids = new GridScheduler();
        List<Object> handedOn = new ArrayList<>(once);
        handedOn.addAll(perCall);
        Object[] allAndPerCall = handedOn.toArray();
        for (int s = 1; s <= graphs; s++) {
            TaskGraph g = new TaskGraph(names[s]);
            if (s == 1) {
                g.consumeFromDevice(names[0], all).consumeFromDevice(names[graphs], all)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, perCall.toArray());
            } else {
                g.consumeFromDevice(names[s - 1], allAndPerCall);
            }
            if (s == graphs) {
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, output);
            }
            for (GraphOp op : segments.get(s - 1)) {
                op.addTasks(g, grids);
            }
            if (s == graphs) {
                g.transferToHost(DataTransferMode.UNDER_DEMAND, output).persistOnDevice(all);
            } else {
                g.persistOnDevice(allAndPerCall);
            }
            chain.add(g);
        }
        long b = size(output);
        for (Object a : handedOn) {
            b += size(a);
        }
        bytes = b;
        TornadoExecutionPlan p = new TornadoExecutionPlan(chain.stream().map(TaskGraph::snapshot)
                .toArray(ImmutableTaskGraph[]::new));
        p = grids.keySet().isEmpty() ? p : p.withGridScheduler(grids); // an empty scheduler is refused
        plan = profiling ? p.withProfiler(ProfilerMode.SILENT) : p;
        plan.withGraph(0).execute();
    }

    /** Runs graphs 1…n on the per-call arrays as they are on the host now, and downloads the output. */
    void run() {
        TornadoExecutionResult r = null;
        for (int i = 1; i <= graphs; i++) {
            r = plan.withGraph(i).execute();
            if (profiling) {
                times.record(Integer.toString(i), r);
            }
        }
        r.transferToHost(output);
    }

    /** Graphs a call executes. */
    int graphs() {
        return graphs;
    }

    /** Device bytes of every array of the chain. */
    long bytes() {
        return bytes;
    }

    /** With {@code -Dchameleon.tornado.profile=true}: each task's device time in the latest call; else empty. */
    String profileReport() {
        return profiling ? String.format(Locale.ROOT, "%s graph, latest call: %.2f ms device%n%s", title,
                times.totalNanos() / 1e6, times.report()) : "";
    }

    @Override
    public void close() {
        if (plan != null) {
            Plan.free(plan, title + " graph");
            plan = null;
        }
    }

    private static long size(Object a) {
        return a instanceof FloatArray f ? f.getNumBytesOfSegment() : ((IntArray) a).getNumBytesOfSegment();
    }
}
