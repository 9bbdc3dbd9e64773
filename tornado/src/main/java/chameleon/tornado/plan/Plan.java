package chameleon.tornado.plan;

import java.util.concurrent.atomic.AtomicLong;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

/** One compiled TaskGraph and its execution plan; the device buffers it owns live until {@link #close}. */
public final class Plan implements AutoCloseable {
    private static final AtomicLong IDS = new AtomicLong();

    private final String name;
    private final TornadoExecutionPlan plan;

    private Plan(String name, TornadoExecutionPlan plan) {
        this.name = name;
        this.plan = plan;
    }

    /** A unique TaskGraph name starting with {@code prefix}. */
    public static String uniqueName(String prefix) {
        return prefix + "_" + IDS.incrementAndGet();
    }

    public static Plan of(TaskGraph graph) {
        ImmutableTaskGraph snapshot = graph.snapshot();
        return new Plan(graph.getTaskGraphName(), new TornadoExecutionPlan(snapshot));
    }

    /** A plan whose task {@code task} runs on an explicit grid (KernelContext kernels). */
    public static Plan of(TaskGraph graph, String task, WorkerGrid grid) {
        ImmutableTaskGraph snapshot = graph.snapshot();
        GridScheduler scheduler = new GridScheduler(graph.getTaskGraphName() + "." + task, grid);
        return new Plan(graph.getTaskGraphName(), new TornadoExecutionPlan(snapshot).withGridScheduler(scheduler));
    }

    /** Runs the graph: its EVERY_EXECUTION inputs up, the kernels, its outputs down. Blocks. */
    public void run() {
        plan.execute();
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        free(plan, "TornadoVM plan " + name);
    }

    /** Frees {@code plan}'s device memory and closes it; {@code what} names it in the error. */
    public static void free(TornadoExecutionPlan plan, String what) {
        try {
            plan.freeDeviceMemory();
            plan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("closing " + what, e);
        }
    }
}
