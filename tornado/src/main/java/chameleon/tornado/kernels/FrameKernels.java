package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The VAE graphs' ops between their convolutions ({@link CausalConvKernels}), on channels-last volumes
 * [T, H, W, C] (a position's channels contiguous, so a channel norm is a row norm). Live sizes come from
 * {@code geo[at …]} at run time; loop bounds are capacities, and work past the live size does nothing, so the
 * first latent frame (1 pixel frame) and later ones (4) run the same compiled graph.
 */
public final class FrameKernels {
    /** F.normalize's default eps. */
    private static final float NORM_EPS = 1e-12f;

    private FrameKernels() {
    }

    /**
     * The VAE's {@code RMS_norm} over channels, optionally followed by SiLU: y[p] = x[p] / max(‖x[p]‖₂, 1e-12) · √C ·
     * gamma (· σ) for the geo[at] live rows of x [rows, c]. One work group of {@link RowKernels#NORM_THREADS} a
     * row (a tree sum in local memory).
     */
    public static void rmsNormRows(KernelContext ctx, FloatArray x, FloatArray gamma, FloatArray y, IntArray geo, int at,
                                   int gOff, int c, float sqrtC, int silu) {
        int row = ctx.groupIdx;
        if (row < geo.get(at)) {
            int o = row * c;
            int tid = ctx.localIdx;
            float[] part = ctx.allocateFloatLocalArray(256);
            float ss = 0f;
            for (int i = tid; i < c; i += 256) {
                float v = x.get(o + i);
                ss += v * v;
            }
            part[tid] = ss;
            ctx.localBarrier();
            for (int stride = 128; stride > 0; stride /= 2) {
                if (tid < stride) {
                    part[tid] += part[tid + stride];
                }
                ctx.localBarrier();
            }
            float norm = TornadoMath.sqrt(part[0]);
            float inv = 1f / (norm > NORM_EPS ? norm : NORM_EPS);
            for (int i = tid; i < c; i += 256) {
                float v = x.get(o + i) * inv * sqrtC * gamma.get(gOff + i);
                if (silu == 1) {
                    v = v / (1f + TornadoMath.exp(-v));
                }
                y.set(o + i, v);
            }
        }
    }

    /**
     * dst [rows, c] = y [rows, ldy] (first c columns) + b[bOff …]: the bias epilogue of a convolution, which also
     * drops the GEMM's padding columns (y and dst distinct: TornadoVM schedules no task that names one array twice).
     * geo[at] = live rows.
     */
    public static void biasRows(FloatArray y, FloatArray b, FloatArray dst, IntArray geo, int at, int bOff, int c, int ldy,
                                int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int row = i / c;
            if (row < geo.get(at)) {
                int col = i - row * c;
                dst.set(i, y.get(row * ldy + col) + b.get(bOff + col));
            }
        }
    }

    /** In place y [rows, c] += b[bOff …]: {@link #biasRows} when the convolution's row length is already c. */
    public static void biasRowsInPlace(FloatArray y, FloatArray b, IntArray geo, int at, int bOff, int c, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int row = i / c;
            if (row < geo.get(at)) {
                y.set(i, y.get(i) + b.get(bOff + i - row * c));
            }
        }
    }

    /** In place x[i] += y[i] over geo[at] rows of c channels (the residual and shortcut additions). */
    public static void addRows(FloatArray x, FloatArray y, IntArray geo, int at, int c, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            if (i < geo.get(at) * c) {
                x.set(i, x.get(i) + y.get(i));
            }
        }
    }

    /** Offsets of {@link #cacheUpdate}'s geometry: frames held before, input frames, mode. */
    public static final int CACHE_HELD = 0, CACHE_NEW = 1, CACHE_MODE = 2;
    /** Modes: keep the last frames; store one zero frame (upsample3d's "Rep"); leave the cache as it is. */
    public static final int KEEP_LAST = 0, ZERO_FRAME = 1, UNCHANGED = 2;

    /**
     * A feature-cache slot after a convolution read it (MODEL.md §3.4, the official {@code feat_cache}): of the
     * sequence [cache (n frames), x (T frames)] it keeps the last min(2, n + T) frames; frame = frameSize
     * elements. A thread per element of a frame reads both kept values before writing, so in place is safe.
     */
    public static void cacheUpdate(FloatArray cache, FloatArray x, IntArray geo, int at, int frameSize) {
        for (@Parallel int i = 0; i < frameSize; i++) {
            int mode = geo.get(at + CACHE_MODE);
            if (mode == ZERO_FRAME) {
                cache.set(i, 0f);
            } else if (mode == KEEP_LAST) {
                int n = geo.get(at + CACHE_HELD);
                int total = n + geo.get(at + CACHE_NEW);
                int keep = total < 2 ? total : 2;
                int s0 = total - keep;
                float v0 = s0 < n ? cache.get(s0 * frameSize + i) : x.get((s0 - n) * frameSize + i);
                float v1 = 0f;
                if (keep == 2) {
                    v1 = s0 + 1 < n ? cache.get((s0 + 1) * frameSize + i) : x.get((s0 + 1 - n) * frameSize + i);
                }
                cache.set(i, v0);
                if (keep == 2) {
                    cache.set(frameSize + i, v1);
                }
            }
        }
    }

    /** Offsets of {@link #interleaveTime}'s geometry: input frames T, positions per frame, identity flag. */
    public static final int IL_FRAMES = 0, IL_PLANE = 1, IL_IDENTITY = 2;

    /**
     * upsample3d after its {@code time_conv}: y [T, plane, ldy] (raw, channels [0, c) and [c, 2c) + bias) → dst
     * [2T, plane, c], output frame 2t + j = channel block j of step t. Identity flag (the stream's first call,
     * where the temporal step is skipped): dst = x [T, plane, c].
     */
    public static void interleaveTime(FloatArray y, FloatArray b, FloatArray x, FloatArray dst, IntArray geo, int at,
                                      int bOff, int c, int ldy, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int t = geo.get(at + IL_FRAMES), plane = geo.get(at + IL_PLANE);
            if (geo.get(at + IL_IDENTITY) == 1) {
                if (i < t * plane * c) {
                    dst.set(i, x.get(i));
                }
            } else if (i < 2 * t * plane * c) {
                int ch = i % c;
                int pos = i / c;
                int f = pos / plane;
                int s = pos - f * plane;
                int j = f & 1;
                dst.set(i, y.get(((f >> 1) * plane + s) * ldy + j * c + ch) + b.get(bOff + j * c + ch));
            }
        }
    }

    /**
     * Offsets of the stage shortcuts' geometry ({@link #dupUpAdd}, {@link #avgDownAdd}): output frames, output rows,
     * output columns, and the frame offset (DupUp3D: output frames dropped; AvgDown3D: zero frames in front).
     */
    public static final int SHORTCUT_FRAMES = 0, SHORTCUT_ROWS = 1, SHORTCUT_COLS = 2, SHORTCUT_OFFSET = 3;

    /**
     * dst [T', H', W', cout] += DupUp3D(src [T, H, W, cin]) (the upsampling stage's {@code avg_shortcut}): each input
     * channel repeated r = cout·ft·fs²/cin times, the channel index Q = ((o·ft + jt)·fs + jh)·fs + jw of the
     * repeats scattered to frame t·ft + jt, row h·fs + jh, column w·fs + jw of channel o; the first {@code drop}
     * output frames are left out (ft − 1 on the stream's first call).
     */
    public static void dupUpAdd(FloatArray dst, FloatArray src, IntArray geo, int at, int cin, int cout, int ft, int fs,
                                int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int frames = geo.get(at + SHORTCUT_FRAMES), rows = geo.get(at + SHORTCUT_ROWS), cols = geo.get(at + SHORTCUT_COLS);
            if (i < frames * rows * cols * cout) {
                int o = i % cout;
                int pos = i / cout;
                int xo = pos % cols;
                int yo = (pos / cols) % rows;
                int f = pos / (cols * rows) + geo.get(at + SHORTCUT_OFFSET);
                int t = f / ft, jt = f - t * ft;
                int h = yo / fs, jh = yo - h * fs;
                int w = xo / fs, jw = xo - w * fs;
                int q = ((o * ft + jt) * fs + jh) * fs + jw;
                int ci = q / (cout * ft * fs * fs / cin);
                int srcCols = cols / fs;
                dst.set(i, dst.get(i) + src.get(((t * (rows / fs) + h) * srcCols + w) * cin + ci));
            }
        }
    }

    /**
     * dst [T', H', W', cout] += AvgDown3D(src [T, H, W, cin]) (the encoder's downsampling stage's {@code avg_shortcut},
     * the inverse arrangement of {@link #dupUpAdd}): time zero-padded in front by {@code pad} frames; channel
     * Q = ((ci·ft + jt)·fs + jh)·fs + jw of the ft×fs×fs block at (t', h', w') is src frame t'·ft + jt − pad, row
     * h'·fs + jh, column w'·fs + jw, channel ci; output channel o is the mean of Q in [o·g, (o + 1)·g),
     * g = cin·ft·fs²/cout, summed in order and divided by g (as the CPU backend's mean).
     */
    public static void avgDownAdd(FloatArray dst, FloatArray src, IntArray geo, int at, int cin, int cout, int ft, int fs,
                                  int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int frames = geo.get(at + SHORTCUT_FRAMES), rows = geo.get(at + SHORTCUT_ROWS), cols = geo.get(at + SHORTCUT_COLS);
            if (i < frames * rows * cols * cout) {
                int o = i % cout;
                int pos = i / cout;
                int xo = pos % cols;
                int yo = (pos / cols) % rows;
                int t = pos / (cols * rows);
                int pad = geo.get(at + SHORTCUT_OFFSET);
                int block = ft * fs * fs;
                int group = cin * block / cout;
                int srcRows = rows * fs, srcCols = cols * fs;
                float sum = 0f;
                for (int j = 0; j < group; j++) {
                    int q = o * group + j;
                    int ci = q / block;
                    int r = q - ci * block;
                    int jt = r / (fs * fs);
                    int jh = (r / fs) % fs;
                    int jw = r % fs;
                    int f = t * ft + jt - pad;
                    if (f >= 0) {
                        sum += src.get(((f * srcRows + yo * fs + jh) * srcCols + xo * fs + jw) * cin + ci);
                    }
                }
                dst.set(i, dst.get(i) + sum / group);
            }
        }
    }

    /** Offsets of {@link #unpatchify}'s geometry: frames, rows, columns of the head output. */
    public static final int UP_FRAMES = 0, UP_ROWS = 1, UP_COLS = 2;

    /**
     * The head output y [T, H, W, 12] → pixels out [3, T, 2H, 2W], channel-first for the host
     * ({@code unpatchify}: pixel (2h + q, 2w + r) of colour c is channel c·4 + r·2 + q).
     */
    public static void unpatchify(FloatArray y, FloatArray out, IntArray geo, int at, int capacity) {
        for (@Parallel int i = 0; i < capacity; i++) {
            int t = geo.get(at + UP_FRAMES), rows = geo.get(at + UP_ROWS), cols = geo.get(at + UP_COLS);
            int w2 = 2 * cols, h2 = 2 * rows;
            if (i < 3 * t * h2 * w2) {
                int px = i % w2;
                int py = (i / w2) % h2;
                int f = (i / (w2 * h2)) % t;
                int c = i / (w2 * h2 * t);
                int r = px & 1, q = py & 1;
                out.set(i, y.get(((f * rows + (py >> 1)) * cols + (px >> 1)) * 12 + c * 4 + r * 2 + q));
            }
        }
    }

    /**
     * In place row softmax of s [rows, n]·scale (the attention scores); work group of 256 per row, max and sum
     * as tree reductions in local memory.
     */
    public static void softmaxRows(KernelContext ctx, FloatArray s, int n, float scale) {
        int o = ctx.groupIdx * n;
        int tid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(256);
        float m = -3.4e38f;
        for (int i = tid; i < n; i += 256) {
            float v = s.get(o + i) * scale;
            m = v > m ? v : m;
        }
        part[tid] = m;
        ctx.localBarrier();
        for (int stride = 128; stride > 0; stride /= 2) {
            if (tid < stride) {
                float other = part[tid + stride];
                part[tid] = other > part[tid] ? other : part[tid];
            }
            ctx.localBarrier();
        }
        float max = part[0];
        ctx.localBarrier();
        float sum = 0f;
        for (int i = tid; i < n; i += 256) {
            float e = TornadoMath.exp(s.get(o + i) * scale - max);
            s.set(o + i, e);
            sum += e;
        }
        part[tid] = sum;
        ctx.localBarrier();
        for (int stride = 128; stride > 0; stride /= 2) {
            if (tid < stride) {
                part[tid] += part[tid + stride];
            }
            ctx.localBarrier();
        }
        float inv = 1f / part[0];
        for (int i = tid; i < n; i += 256) {
            s.set(o + i, s.get(o + i) * inv);
        }
    }

    /**
     * Reads one element of an int array, as {@link RowKernels#touch} does for float arrays: a TaskGraph transfers
     * only what its tasks use, so the graph that uploads an array for later graphs names it in a task.
     */
    public static void touchInts(IntArray a, FloatArray b) {
        for (@Parallel int i = 0; i < 1; i++) {
            if (a.get(0) == 0x7fffffff) {
                b.set(0, 1f);
            }
        }
    }
}
