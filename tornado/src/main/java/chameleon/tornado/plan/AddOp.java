package chameleon.tornado.plan;

import chameleon.tornado.kernels.FrameKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;

/** x += y over the live rows (same live shape): a residual block's or a stage's shortcut addition. */
final class AddOp extends GraphOp {
    private final String name;
    private final Volume x, y;
    private final CallGeometry geo;
    private final int at;
    private int c = -1; // channels, fixed at the first prepare (a pool volume's live shape changes along the network)
    private long cap = 1;

    AddOp(String name, Volume x, Volume y, CallGeometry geo) {
        this.name = name;
        this.x = x;
        this.y = y;
        this.geo = geo;
        this.at = geo.reserve(1);
    }

    @Override
    void prepare(boolean first) {
        if (x.rows() != y.rows() || x.c != y.c) {
            throw new IllegalStateException(name + ": residual add of [" + x.rows() + ", " + x.c + "] and [" + y.rows()
                    + ", " + y.c + "]");
        }
        geo.host()[at] = x.rows();
        c = channels(c, x.c, name);
        cap = Math.max(cap, (long) x.rows() * c);
    }

    @Override
    void addTasks(TaskGraph g, GridScheduler grids) {
        g.task(name, FrameKernels::addRows, x.array, y.array, geo.device(), at, c, Math.toIntExact(cap));
    }
}
