package chameleon.tornado.plan;

import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;

/**
 * One step of a VAE graph ({@link VaeGraph}): before each call it sets the live shapes of the volumes it writes and
 * its geometry ints ({@link CallGeometry}), sizing volumes and grids for the largest call along the way; once, it
 * adds its tasks to a graph of the chain ({@link GraphChain}).
 */
abstract class GraphOp {
    /**
     * Simulates a call: checks and sets live shapes, writes this op's geometry ints.
     *
     * @param first a stream's first call (the decoder's caches start empty; the encoder's only call)
     */
    abstract void prepare(boolean first);

    /** Adds this op's {@link #tasks()} tasks (device arrays exist by now; shapes must not be read here). */
    abstract void addTasks(TaskGraph g, GridScheduler grids);

    /** Tasks {@link #addTasks} adds. */
    int tasks() {
        return 1;
    }

    /** Device arrays this op owns (cache slots, scratch), uploaded once with the graph's shared arrays. */
    List<Object> deviceArrays() {
        return List.of();
    }

    /** Forgets state kept between calls (cache slots). */
    void reset() {
    }

    /**
     * An op's channel count: what its input has now, which must be what it had at every earlier call. Ops read it
     * in prepare, never when adding tasks: by then a pool volume's live shape is that of its last user.
     */
    static int channels(int fixed, int now, String what) {
        if (fixed >= 0 && fixed != now) {
            throw new IllegalStateException(what + ": " + now + " channels, " + fixed + " at an earlier call");
        }
        return now;
    }

    /** A TornadoVM task name from a module or tensor name ("decoder.head.2" → "decoder_head_2"). */
    static String taskName(String module) {
        return module.replaceAll("[^A-Za-z0-9]", "_");
    }
}
