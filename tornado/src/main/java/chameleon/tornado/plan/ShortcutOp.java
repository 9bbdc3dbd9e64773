package chameleon.tornado.plan;

import chameleon.tornado.kernels.FrameKernels;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;

/**
 * dst += the parameter-free shortcut of a resampling stage's input src (MODEL.md §3.2–3.4): {@code DupUp3D} in the
 * decoder ({@link FrameKernels#dupUpAdd}: channels spread over ft × fs × fs, the first ft − 1 frames dropped on a
 * stream's first call), {@code AvgDown3D} in the encoder ({@link FrameKernels#avgDownAdd}: time zero-padded in front
 * to a multiple of ft, ft × fs × fs blocks averaged into channels).
 */
final class ShortcutOp extends GraphOp {
    /** Which way the stage resamples. */
    enum Kind { DUP_UP, AVG_DOWN }

    private final Kind kind;
    private final Volume dst, src;
    private final int cin, cout, ft, fs;
    private final CallGeometry geo;
    private final int at;
    private final String name;
    private long cap = 1;

    /**
     * @param name task name; {@code cin}, {@code cout} the stage's input and output channels; {@code ft}, {@code fs}
     *             its temporal and spatial factors
     */
    ShortcutOp(String name, Kind kind, Volume dst, Volume src, int cin, int cout, int ft, int fs, CallGeometry geo) {
        int spread = kind == Kind.DUP_UP ? cout : cin, divisor = kind == Kind.DUP_UP ? cin : cout;
        if (spread * ft * fs * fs % divisor != 0) {
            throw new IllegalArgumentException((kind == Kind.DUP_UP ? "DupUp3D: " : "AvgDown3D: ") + spread + "·"
                    + ft * fs * fs + " is not a multiple of " + divisor);
        }
        this.name = name;
        this.kind = kind;
        this.dst = dst;
        this.src = src;
        this.cin = cin;
        this.cout = cout;
        this.ft = ft;
        this.fs = fs;
        this.geo = geo;
        this.at = geo.reserve(4);
    }

    @Override
    void prepare(boolean first) {
        int frames, offset;
        boolean plane;
        if (kind == Kind.DUP_UP) {
            offset = first ? ft - 1 : 0; // frames dropped
            frames = src.t * ft - offset;
            plane = src.h * fs == dst.h && src.w * fs == dst.w;
        } else {
            offset = (ft - src.t % ft) % ft; // zero frames in front
            frames = (src.t + offset) / ft;
            plane = src.h == dst.h * fs && src.w == dst.w * fs;
        }
        if (frames != dst.t || !plane || dst.c != cout || src.c != cin) {
            throw new IllegalStateException(name + ": shortcut of [" + src.t + ", " + src.h + ", " + src.w + ", " + src.c
                    + "] onto [" + dst.t + ", " + dst.h + ", " + dst.w + ", " + dst.c + "]");
        }
        int[] g = geo.host();
        g[at + FrameKernels.SHORTCUT_FRAMES] = frames;
        g[at + FrameKernels.SHORTCUT_ROWS] = dst.h;
        g[at + FrameKernels.SHORTCUT_COLS] = dst.w;
        g[at + FrameKernels.SHORTCUT_OFFSET] = offset;
        cap = Math.max(cap, (long) dst.rows() * cout);
    }

    @Override
    void addTasks(TaskGraph g, GridScheduler grids) {
        if (kind == Kind.DUP_UP) {
            g.task(name, FrameKernels::dupUpAdd, dst.array, src.array, geo.device(), at, cin, cout, ft, fs, Math.toIntExact(cap));
        } else {
            g.task(name, FrameKernels::avgDownAdd, dst.array, src.array, geo.device(), at, cin, cout, ft, fs,
                    Math.toIntExact(cap));
        }
    }
}
