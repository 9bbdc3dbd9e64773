package chameleon.tornado.plan;

import chameleon.tensor.Shape;
import chameleon.tensor.StridedCopy;
import chameleon.tornado.kernels.FrameKernels;
import chameleon.tornado.kernels.GemmKernels;
import chameleon.tornado.kernels.LayoutKernels;
import java.util.List;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The middle {@code AttentionBlock}'s attention over one frame (MODEL.md §3.2): o = softmax(q·kᵀ/√c)·v, q, k, v, o
 * [tokens, c], single head of width c, as two fp32 GEMMs ({@link GemmKernels#linearF32}) around a row softmax.
 */
final class AttentionOp extends GraphOp {
    private final String name;
    private final Volume q, k, v, o;
    private final int c;
    private final int tokens;
    private FloatArray scores;   // [tokens, tokens]
    private FloatArray vt;       // [c, tokens]
    private FloatArray zeros;    // GEMM bias
    private IntArray rows;
    private IntArray transpose;  // LayoutKernels.gather parameters of v [tokens, c] → [c, tokens]

    /** @param name the module's task-name prefix; {@code tokens} = h·w of the frame */
    AttentionOp(String name, Volume q, Volume k, Volume v, Volume o, int c, int tokens) {
        this.name = name;
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.c = c;
        this.tokens = tokens;
    }

    @Override
    void prepare(boolean first) {
        if (q.t != 1 || q.rows() != tokens) {
            throw new IllegalStateException("the middle attention expects one frame of " + tokens + " tokens, got ["
                    + q.t + ", " + q.rows() + "]");
        }
        o.shape(1, q.h, q.w, c);
    }

    @Override
    List<Object> deviceArrays() {
        if (scores == null) {
            scores = new FloatArray(Math.multiplyExact(tokens, tokens));
            vt = new FloatArray(Math.multiplyExact(tokens, c));
            zeros = new FloatArray(Math.max(tokens, c));
            zeros.init(0f);
            rows = IntArray.fromElements(tokens);
            transpose = IntArray.fromElements(VolumePlans.gatherParams(StridedCopy.permute(Shape.of(tokens, c), 1, 0),
                    "attention values"));
        }
        return List.of(scores, vt, zeros, rows, transpose);
    }

    @Override
    int tasks() {
        return 4;
    }

    @Override
    void addTasks(TaskGraph g, GridScheduler grids) {
        int rowTiles = (tokens + GemmKernels.TILE - 1) / GemmKernels.TILE;
        g.task(name + "Scores", GemmKernels::linearF32, q.array, k.array, zeros, scores, rows, rowTiles,
                (tokens + GemmKernels.TILE - 1) / GemmKernels.TILE, c, tokens);
        g.task(name + "Softmax", FrameKernels::softmaxRows, new KernelContext(), scores, tokens, (float) (1.0 / Math.sqrt(c)));
        grids.addWorkerGrid(g.getTaskGraphName() + "." + name + "Softmax", NormOp.rowGroups(tokens));
        g.task(name + "ValuesT", LayoutKernels::gather, v.array, vt, transpose, tokens * c);
        g.task(name + "Out", GemmKernels::linearF32, scores, vt, zeros, o.array, rows, rowTiles,
                (c + GemmKernels.TILE - 1) / GemmKernels.TILE, tokens, c);
    }
}
