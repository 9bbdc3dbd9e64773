package chameleon.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Row-wise and elementwise kernels over [rows, cols] buffers: LayerNorm, RMSNorm, adaLN modulation,
 * gated and plain residual adds, SiLU, GELU (tanh) and rotary embedding. Statistics accumulate in fp32
 * (the CPU reference uses double; the difference is far below the fp32 golden tolerance for the row
 * lengths of the model). One thread per row for the norms, per element for the rest.
 */
public final class RowKernels {
    private RowKernels() {
    }

    /** Threads of the work group that normalises one row ({@link #layerNorm}, {@link #rmsNorm}; written as 256 there). */
    public static final int NORM_THREADS = 256;

    /**
     * y[r] = (x[r] − mean)·rsqrt(var + eps)·w[ℓ] + b[ℓ], ℓ = layer[0] of the stacked affine [layers, n] (the DiT's
     * block graph picks its layer at run time; {@code layerSize} 0 reads the one [n] affine whatever layer holds);
     * pass w = 1, b = 0 for no affine. A KernelContext kernel: one
     * work group of {@link #NORM_THREADS} threads a row (global size rows·NORM_THREADS), strided coalesced
     * reads and a tree sum in local memory for the mean, then for the variance of the centred values. A
     * thread per row would issue its 3n loads one after another and leave the GPU idle.
     */
    public static void layerNorm(KernelContext ctx, FloatArray x, FloatArray w, FloatArray b, IntArray layer,
                                 int layerSize, FloatArray y, int n, float eps) {
        // (The tree sums are written out in each kernel: a local array passed to a helper method compiles to
        // an invalid address on TornadoVM's CUDA backend.)
        int o = ctx.groupIdx * n;
        int tid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(256);
        float s = 0f;
        for (int c = tid; c < n; c += 256) {
            s += x.get(o + c);
        }
        part[tid] = s;
        ctx.localBarrier();
        for (int stride = 128; stride > 0; stride /= 2) {
            if (tid < stride) {
                part[tid] += part[tid + stride];
            }
            ctx.localBarrier();
        }
        float mean = part[0] / n;
        ctx.localBarrier();
        float ss = 0f;
        for (int c = tid; c < n; c += 256) {
            float t = x.get(o + c) - mean;
            ss += t * t;
        }
        part[tid] = ss;
        ctx.localBarrier();
        for (int stride = 128; stride > 0; stride /= 2) {
            if (tid < stride) {
                part[tid] += part[tid + stride];
            }
            ctx.localBarrier();
        }
        float inv = 1f / TornadoMath.sqrt(part[0] / n + eps);
        int p = layer.get(0) * layerSize;
        for (int c = tid; c < n; c += 256) {
            y.set(o + c, (x.get(o + c) - mean) * inv * w.get(p + c) + b.get(p + c));
        }
    }

    /**
     * y[r] = x[r]·rsqrt(mean(x[r]²) + eps)·w[ℓ], ℓ = layer[0] of the stacked weights [layers, n] ({@code layerSize} 0:
     * one [n] weight); pass w = 1 for none. Work group per row, as {@link #layerNorm}.
     */
    public static void rmsNorm(KernelContext ctx, FloatArray x, FloatArray w, IntArray layer, int layerSize, FloatArray y,
                               int n, float eps) {
        int o = ctx.groupIdx * n;
        int tid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(256);
        float ss = 0f;
        for (int c = tid; c < n; c += 256) {
            float v = x.get(o + c);
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
        float inv = 1f / TornadoMath.sqrt(part[0] / n + eps);
        int p = layer.get(0) * layerSize;
        for (int c = tid; c < n; c += 256) {
            y.set(o + c, x.get(o + c) * inv * w.get(p + c));
        }
    }

    /**
     * In place: y[r, c] += b[ℓ, c] over [m, n], ℓ = layer[0] of the biases of all layers stacked [layers, n] (the bias
     * epilogue of a GEMM that has none).
     */
    public static void addBias(FloatArray y, FloatArray b, IntArray layer, int m, int n) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int i = r * n + c;
                y.set(i, y.get(i) + b.get(layer.get(0) * n + c));
            }
        }
    }

    /** In place: x[r, c] = x[r, c]·(1 + scale[g, c]) + shift[g, c], g = r / rowsPerGroup. */
    public static void modulate(FloatArray x, FloatArray shift, FloatArray scale, int m, int n, int rowsPerGroup) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int g = (r / rowsPerGroup) * n + c;
                int i = r * n + c;
                x.set(i, x.get(i) * (1f + scale.get(g)) + shift.get(g));
            }
        }
    }

    /** In place: x[r, c] += y[r, c]·gate[g, c], g = r / rowsPerGroup. */
    public static void addGated(FloatArray x, FloatArray y, FloatArray gate, int m, int n, int rowsPerGroup) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int i = r * n + c;
                x.set(i, x.get(i) + y.get(i) * gate.get((r / rowsPerGroup) * n + c));
            }
        }
    }

    /** In place: x += y. */
    public static void add(FloatArray x, FloatArray y, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            x.set(i, x.get(i) + y.get(i));
        }
    }

    /** In place SiLU: x·σ(x). */
    public static void silu(FloatArray x, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float v = x.get(i);
            x.set(i, v / (1f + TornadoMath.exp(-v)));
        }
    }

    /** In place GELU, tanh approximation. */
    public static void geluTanh(FloatArray x, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float u = x.get(i);
            float inner = 0.7978845608028654f * (u + 0.044715f * u * u * u);
            x.set(i, 0.5f * u * (1f + TornadoMath.tanh(inner)));
        }
    }

    /**
     * In place rotary embedding of adjacent pairs: x [L, H, 2·pairs], cos/sin tables [L, pairs]; thread per (token,
     * head, pair).
     */
    public static void rope(FloatArray x, FloatArray cosTable, FloatArray sinTable, int l, int heads, int pairs) {
        // (No identifier may be an OpenCL C keyword or builtin: "half" as a name breaks the build.)
        for (@Parallel int t = 0; t < l; t++) {
            for (@Parallel int hp = 0; hp < heads * pairs; hp++) {
                int h = hp / pairs;
                int i = hp - h * pairs;
                int o = (t * heads + h) * 2 * pairs + 2 * i;
                rotate(x, o, cosTable.get(t * pairs + i), sinTable.get(t * pairs + i));
            }
        }
    }

    /** {@link #rope} of q and of k [L, H, 2·pairs] in one launch (the self-attention's two rotations share the tables). */
    public static void ropeQk(FloatArray q, FloatArray k, FloatArray cosTable, FloatArray sinTable, int l, int heads,
                              int pairs) {
        for (@Parallel int t = 0; t < l; t++) {
            for (@Parallel int hp = 0; hp < heads * pairs; hp++) {
                int h = hp / pairs;
                int i = hp - h * pairs;
                int o = (t * heads + h) * 2 * pairs + 2 * i;
                float c = cosTable.get(t * pairs + i);
                float s = sinTable.get(t * pairs + i);
                rotate(q, o, c, s);
                rotate(k, o, c, s);
            }
        }
    }

    /** (x[o], x[o + 1]) rotated by the angle whose cosine and sine are c, s. */
    private static void rotate(FloatArray x, int o, float c, float s) {
        float a = x.get(o);
        float b = x.get(o + 1);
        x.set(o, a * c - b * s);
        x.set(o + 1, a * s + b * c);
    }

    /** dst[i] = src[i] for i &lt; size. */
    public static void copy(FloatArray src, FloatArray dst, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dst.set(i, src.get(i));
        }
    }

    /**
     * In place adaLN of MODEL.md §2.3 with the modulation built on the device: chunk k of frame f is
     * {@code table[k] + e[f, k]} ({@code modulation + e0}), and
     * x[r, c] = x[r, c]·(1 + scale) + shift with shift = chunk {@code shift}, scale = chunk {@code scale},
     * f = r / rowsPerFrame. {@code eChunks} = 1 adds the same e[f] to every chunk (the head's e).
     *
     * @param table     [layers, chunks, n] learned modulation of every layer; layer[0] picks one
     * @param tableSize floats of one layer's table (chunks·n), 0 for a table of one layer
     * @param e         [frames, eChunks, n] time projection per frame
     */
    public static void modulateFrames(FloatArray x, FloatArray table, IntArray layer, int tableSize, FloatArray e,
                                      int eChunks, int shift, int scale, int m, int n, int rowsPerFrame) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int f = r / rowsPerFrame;
                int t = layer.get(0) * tableSize;
                int eShift = eChunks == 1 ? f * n : (f * eChunks + shift) * n;
                int eScale = eChunks == 1 ? f * n : (f * eChunks + scale) * n;
                float sh = table.get(t + shift * n + c) + e.get(eShift + c);
                float sc = table.get(t + scale * n + c) + e.get(eScale + c);
                int i = r * n + c;
                x.set(i, x.get(i) * (1f + sc) + sh);
            }
        }
    }

    /**
     * In place: x[r, c] += y[r, c]·(table[ℓ, gate, c] + e[f, gate, c]), f = r / rowsPerFrame (the adaLN gates); table
     * and tableSize as in {@link #modulateFrames}.
     */
    public static void addGatedFrames(FloatArray x, FloatArray y, FloatArray table, IntArray layer, int tableSize,
                                      FloatArray e, int eChunks, int gate, int m, int n, int rowsPerFrame) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int f = r / rowsPerFrame;
                float g = table.get(layer.get(0) * tableSize + gate * n + c) + e.get((f * eChunks + gate) * n + c);
                int i = r * n + c;
                x.set(i, x.get(i) + y.get(i) * g);
            }
        }
    }

    /** Floats each thread of {@link #moveRows} copies (rows must be a multiple of it). */
    public static final int MOVE_UNIT = 8;

    /**
     * Row moves decided at run time: rows [plan[srcAt], +plan[countAt]) of src go to rows from
     * plan[dstAt] of dst, {@code rowSize} floats a row; the grid covers {@code maxRows} rows, {@link #MOVE_UNIT}
     * floats a thread, and idles past the count (most calls move nothing: the roll happens once per chunk).
     * Source and destination must not overlap (stage through a scratch buffer).
     */
    public static void moveRows(FloatArray src, FloatArray dst, IntArray plan, int srcAt, int dstAt, int countAt,
                                int rowSize, int maxRows) {
        for (@Parallel int i = 0; i < maxRows * (rowSize / MOVE_UNIT); i++) {
            int e = i * MOVE_UNIT;
            if (e < plan.get(countAt) * rowSize) {
                int s = plan.get(srcAt) * rowSize + e;
                int d = plan.get(dstAt) * rowSize + e;
                for (int u = 0; u < MOVE_UNIT; u++) {
                    dst.set(d + u, src.get(s + u));
                }
            }
        }
    }

    /**
     * Reads one element of each argument: a TaskGraph transfers only what its tasks use, so a graph that
     * uploads inputs for later graphs names them in this task.
     */
    public static void touch(FloatArray a, FloatArray b, FloatArray c, FloatArray d) {
        for (@Parallel int i = 0; i < 1; i++) {
            float s = a.get(0) + b.get(0) + c.get(0) + d.get(0);
            if (s == 1.0e38f) {
                a.set(0, s);
            }
        }
    }
}
