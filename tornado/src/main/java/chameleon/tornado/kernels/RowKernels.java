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

    /** Threads of the work group that normalises one row ({@link #layerNorm}, {@link #rmsNorm}, {@link #qkNormRopeStore}; written as 256 there). */
    public static final int NORM_THREADS = 256;

    /**
     * y[r] = LayerNorm(x[r])·(one + scale) + shift over rows of n, with shift = table[ℓ, shift] + e[f, shift] and
     * scale = table[ℓ, scale] + e[f, scale], f = r / rowsPerFrame, ℓ = layer[0] ({@code tableSize} 0: a table of one
     * layer; {@code eChunks} 1: the same e[f] for both). Two uses, one kernel:
     * <ul>
     *   <li>{@code one} = 1: the adaLN input of MODEL.md §2.3, LayerNorm without affine then the modulation of the
     *       table {@code modulation} [layers, 6, n] and the time projection e [frames, 6, n] (the head: [2, n] and
     *       [frames, n]), in one pass;</li>
     *   <li>{@code one} = 0: the affine LayerNorm, table [layers, 2, n] = (bias, weight), e zeros [n] with
     *       rowsPerFrame = rows.</li>
     * </ul>
     * With {@code add} 1 the row is first updated in place, x[r] += p[r] + pb[ℓ] (the residual add of a projection
     * whose bias pb [layers, n] was deferred: cross_o before norm2, MODEL.md §2.3), with {@code add} 2
     * x[r] += (p[r] + pb[ℓ])·(table[ℓ, gate] + e[f, gate]) (the adaLN-gated add: o before norm3, whose affine then sits
     * in chunks of the same table), so the stream is normalised in the pass that updates it instead of being written by
     * one kernel and read back by the next; with {@code add} 0 x is only read (p and pb are not touched).
     * A KernelContext kernel: one work group of {@link #NORM_THREADS} threads a row (global size rows·NORM_THREADS),
     * strided coalesced reads and a tree sum in local memory for the mean, then for the variance of the centred
     * values. A thread per row would issue its 3n loads one after another and leave the GPU idle.
     */
    public static void layerNorm(KernelContext ctx, FloatArray x, int add, FloatArray p, FloatArray pb, int gate,
                                 FloatArray table, IntArray layer, int tableSize, FloatArray e, int eChunks, int shift,
                                 int scale, float one, FloatArray y, int n, int rowsPerFrame, float eps) {
        // (The tree sums are written out in each kernel: a local array passed to a helper method compiles to
        // an invalid address on TornadoVM's CUDA backend.)
        int r = ctx.groupIdx;
        int o = r * n;
        int tid = ctx.localIdx;
        int f = r / rowsPerFrame;
        int l = layer.get(0);
        float[] part = ctx.allocateFloatLocalArray(256);
        float s = 0f;
        for (int c = tid; c < n; c += 256) {
            float v = x.get(o + c);
            if (add > 0) {
                float d = p.get(o + c) + pb.get(l * n + c);
                if (add == 2) {
                    d *= table.get(l * tableSize + gate * n + c) + e.get((f * eChunks + gate) * n + c);
                }
                v += d;
                x.set(o + c, v);  // read back below by this same thread only
            }
            s += v;
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
        int t = l * tableSize;
        int eShift = eChunks == 1 ? f * n : (f * eChunks + shift) * n;
        int eScale = eChunks == 1 ? f * n : (f * eChunks + scale) * n;
        for (int c = tid; c < n; c += 256) {
            float sh = table.get(t + shift * n + c) + e.get(eShift + c);
            float sc = table.get(t + scale * n + c) + e.get(eScale + c);
            y.set(o + c, (x.get(o + c) - mean) * inv * (one + sc) + sh);
        }
    }

    /**
     * The self-attention's q and k after their projections, and the chunk's K/V, in one pass (MODEL.md §2.4):
     * q = RoPE(RMSNorm(rawQ + bq[ℓ])·norm_q[ℓ]) into qs, and for the first plan[rowsAt] rows
     * RoPE(RMSNorm(rawK + bk[ℓ])·norm_k[ℓ]) and v + bv[ℓ] into rows from plan[rowAt] of kCache, vCache (the DiT's
     * rows for its KV cache to store, {@code DeviceKvCache.addWrite});
     * ℓ = plan[layerAt] (the projections' biases are added here, not by their GEMMs). The
     * norms run over the whole dim n (all heads), RoPE rotates adjacent pairs with the per-token tables [rows,
     * pairs] (pairs = headDim / 2), as {@link #rmsNorm}, {@link #ropeQk} and {@link #moveRows} do one after another.
     * Work group of 256 threads per row.
     *
     * @param rawQ   [rows, n] q projection without its bias
     * @param rawK   [rows, n] k projection without its bias
     * @param v      [rows, n] v projection without its bias
     * @param bq     [layers, n] q biases (bk, bv likewise)
     * @param normQk [layers, 2, n] norm_q and norm_k weights
     * @param qs     [rows, n] out: rotated q
     * @param kCache [≥ plan[rowAt] + plan[rowsAt], n] out: rotated keys
     * @param vCache [≥ plan[rowAt] + plan[rowsAt], n] out: values
     */
    public static void qkNormRopeStore(KernelContext ctx, FloatArray rawQ, FloatArray rawK, FloatArray v, FloatArray bq,
                                       FloatArray bk, FloatArray bv, FloatArray normQk, FloatArray cosTable,
                                       FloatArray sinTable, FloatArray qs, FloatArray kCache,
                                       FloatArray vCache, IntArray plan, int layerAt, int rowAt, int rowsAt, int n,
                                       int pairs, float eps) {
        int r = ctx.groupIdx;
        int o = r * n;
        int tid = ctx.localIdx;
        int w = plan.get(layerAt) * n;
        float[] partQ = ctx.allocateFloatLocalArray(256);
        float[] partK = ctx.allocateFloatLocalArray(256);
        float sq = 0f;
        float sk = 0f;
        for (int c = tid; c < n; c += 256) {
            float a = rawQ.get(o + c) + bq.get(w + c);
            float b = rawK.get(o + c) + bk.get(w + c);
            sq += a * a;
            sk += b * b;
        }
        partQ[tid] = sq;
        partK[tid] = sk;
        ctx.localBarrier();
        for (int stride = 128; stride > 0; stride /= 2) {
            if (tid < stride) {
                partQ[tid] += partQ[tid + stride];
                partK[tid] += partK[tid + stride];
            }
            ctx.localBarrier();
        }
        float invQ = 1f / TornadoMath.sqrt(partQ[0] / n + eps);
        float invK = 1f / TornadoMath.sqrt(partK[0] / n + eps);
        int nq = 2 * w;      // norm_q of layer ℓ in normQk [layers, 2, n]
        int nk = 2 * w + n;  // norm_k
        boolean store = r < plan.get(rowsAt);
        int d = (plan.get(rowAt) + r) * n;
        for (int p = tid; p < n / 2; p += 256) {
            int c = 2 * p;
            int t = r * pairs + p % pairs;
            float cs = cosTable.get(t);
            float sn = sinTable.get(t);
            float q0 = (rawQ.get(o + c) + bq.get(w + c)) * invQ * normQk.get(nq + c);
            float q1 = (rawQ.get(o + c + 1) + bq.get(w + c + 1)) * invQ * normQk.get(nq + c + 1);
            qs.set(o + c, q0 * cs - q1 * sn);
            qs.set(o + c + 1, q0 * sn + q1 * cs);
            if (store) {
                float k0 = (rawK.get(o + c) + bk.get(w + c)) * invK * normQk.get(nk + c);
                float k1 = (rawK.get(o + c + 1) + bk.get(w + c + 1)) * invK * normQk.get(nk + c + 1);
                kCache.set(d + c, k0 * cs - k1 * sn);
                kCache.set(d + c + 1, k0 * sn + k1 * cs);
                vCache.set(d + c, v.get(o + c) + bv.get(w + c));
                vCache.set(d + c + 1, v.get(o + c + 1) + bv.get(w + c + 1));
            }
        }
    }

    /**
     * y[r] = u·rsqrt(mean(u²) + eps)·w[ℓ] with u = x[r] + b[ℓ], ℓ = layer[0] of the stacked weights and biases [layers,
     * n] ({@code layerSize} 0: one [n] each); pass w = 1 and b = 0 for none. The bias is that of the projection whose
     * output is normalised (norm_q after q, norm_k after k), added here instead of in a pass of its own. Work group per
     * row, as {@link #layerNorm}.
     */
    public static void rmsNorm(KernelContext ctx, FloatArray x, FloatArray b, FloatArray w, IntArray layer,
                               int layerSize, FloatArray y, int n, float eps) {
        int o = ctx.groupIdx * n;
        int tid = ctx.localIdx;
        int p = layer.get(0) * layerSize;
        float[] part = ctx.allocateFloatLocalArray(256);
        float ss = 0f;
        for (int c = tid; c < n; c += 256) {
            float v = x.get(o + c) + b.get(p + c);
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
        for (int c = tid; c < n; c += 256) {
            y.set(o + c, (x.get(o + c) + b.get(p + c)) * inv * w.get(p + c));
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
            x.set(i, gelu(x.get(i)));
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
     * In place: x[r, c] += (y[r, c] + b[ℓ, c])·(table[ℓ, gate, c] + e[f, gate, c]), f = r / rowsPerFrame (the adaLN gates
     * of a projection whose bias b [layers, n] was deferred); table
     * [layers, chunks, n] and tableSize (chunks·n) as in {@link #layerNorm}.
     */
    public static void addGatedFrames(FloatArray x, FloatArray y, FloatArray b, FloatArray table, IntArray layer,
                                      int tableSize, FloatArray e, int eChunks, int gate, int m, int n, int rowsPerFrame) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int f = r / rowsPerFrame;
                float g = table.get(layer.get(0) * tableSize + gate * n + c) + e.get((f * eChunks + gate) * n + c);
                int i = r * n + c;
                x.set(i, x.get(i) + (y.get(i) + b.get(layer.get(0) * n + c)) * g);
            }
        }
    }

    /** In place: y[r, c] = GELU_tanh(y[r, c] + b[ℓ, c]), ℓ = layer[0] (ffn.0's deferred bias and the activation). */
    public static void addBiasGelu(FloatArray y, FloatArray b, IntArray layer, int m, int n) {
        for (@Parallel int r = 0; r < m; r++) {
            for (@Parallel int c = 0; c < n; c++) {
                int i = r * n + c;
                y.set(i, gelu(y.get(i) + b.get(layer.get(0) * n + c)));
            }
        }
    }

    /** GELU, tanh approximation: 0.5·u·(1 + tanh(√(2/π)·(u + 0.044715·u³))). */
    private static float gelu(float u) {
        float inner = 0.7978845608028654f * (u + 0.044715f * u * u * u);
        return 0.5f * u * (1f + TornadoMath.tanh(inner));
    }

    /**
     * Threads of every {@link #moveRows} call: a fixed grid, so that a call with nothing to move (most of them: the KV
     * roll happens once per chunk) costs a launch rather than one idle thread for every float of the longest move
     * (23 µs a call for a layer's cache on the H100).
     */
    public static final int MOVE_THREADS = 1 << 18;

    /**
     * Row moves decided at run time: rows [plan[srcAt], +plan[countAt]) of src go to rows from plan[dstAt] of dst,
     * {@code rowSize} floats a row, copied by a grid of {@link #MOVE_THREADS} threads striding over the floats
     * (coalesced). Source and destination must not overlap (stage through a scratch buffer).
     */
    public static void moveRows(KernelContext ctx, FloatArray src, FloatArray dst, IntArray plan, int srcAt, int dstAt,
                                int countAt, int rowSize) {
        int n = plan.get(countAt) * rowSize;
        int s = plan.get(srcAt) * rowSize;
        int d = plan.get(dstAt) * rowSize;
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            dst.set(d + i, src.get(s + i));
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
