package chameleon.tornado.plan;

import chameleon.tornado.kernels.FrameKernels;
import chameleon.tornado.kernels.RowKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;

/** The VAE's {@code RMS_norm} over channels (+ SiLU), x → y [T, H, W, C] (in place allowed; MODEL.md §3.2). */
final class NormOp extends GraphOp {
    private final String name;
    private final Volume x, y;
    private final int gOff, c;
    private final boolean silu;
    private final CallGeometry geo;
    private final StackedParameters params;
    private final int at;
    private long maxRows = 1;

    /**
     * @param gamma the gamma's tensor name (the task's name)
     * @param gOff  its offset in the stacked gammas; {@code c} its length
     */
    NormOp(String gamma, Volume x, Volume y, int gOff, int c, boolean silu, CallGeometry geo, StackedParameters params) {
        this.name = taskName(gamma);
        this.x = x;
        this.y = y;
        this.gOff = gOff;
        this.c = c;
        this.silu = silu;
        this.geo = geo;
        this.params = params;
        this.at = geo.reserve(1);
    }

    @Override
    void prepare(boolean first) {
        if (x.c != c) {
            throw new IllegalStateException("RMS_norm " + name + " of " + c + " channels on " + x.c);
        }
        geo.host()[at] = x.rows();
        y.shape(x.t, x.h, x.w, c);
        maxRows = Math.max(maxRows, x.rows());
    }

    @Override
    void addTasks(TaskGraph g, GridScheduler grids) {
        g.task(name, FrameKernels::rmsNormRows, new KernelContext(), x.array, params.gammas(), y.array, geo.device(), at,
                gOff, c, (float) Math.sqrt(c), silu ? 1 : 0);
        grids.addWorkerGrid(g.getTaskGraphName() + "." + name, rowGroups(maxRows));
    }

    /** One work group of {@link RowKernels#NORM_THREADS} per row. */
    static WorkerGrid1D rowGroups(long rows) {
        WorkerGrid1D grid = new WorkerGrid1D(Math.toIntExact(Math.max(1, rows) * RowKernels.NORM_THREADS));
        grid.setLocalWork(RowKernels.NORM_THREADS, 1, 1);
        return grid;
    }
}
