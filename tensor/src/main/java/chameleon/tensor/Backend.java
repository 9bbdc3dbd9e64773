package chameleon.tensor;

/**
 * The primitive operations the DiT and the VAE are built from. Layers and the runtime only talk to
 * this interface, so the CPU backend and the TornadoVM backend are interchangeable.
 *
 * <p>Activations are F32. Weight tensors may be F32, BF16 or F16 (as the checkpoint stores them);
 * every accumulation is in fp32. "Rows" means axis 0 of a 2-D view {@code [rows, cols]}; operations
 * that take per-group parameters split the rows into {@code G} equal consecutive groups (one per
 * latent frame: all tokens of a frame share its timestep).
 */
public interface Backend {

    /** Short name for logs and the CLI ({@code cpu}, {@code tornado}). */
    String name();

    /**
     * What runs the work, for a run's log: the name, and where a backend has them its device and kernels
     * (e.g. {@code tornado on NVIDIA H100 80GB HBM3 (PTX), device-resident DiT, kernels java (…)}).
     */
    default String description() {
        return name();
    }

    /** {@code y = x·wᵀ + b}: x [M, K], w [N, K] (a PyTorch Linear weight), b [N] or null → y [M, N]. */
    Tensor linear(Tensor x, Tensor w, Tensor bias);

    /** LayerNorm over the last axis of x [M, N]; weight/bias [N] may be null (no affine). New tensor. */
    Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps);

    /** RMSNorm over the last axis: x·rsqrt(mean(x²)+eps)·w, x [M, N], w [N] or null. New tensor. */
    Tensor rmsNorm(Tensor x, Tensor weight, float eps);

    /** In place: {@code x[r] = x[r]·(1 + scale[g]) + shift[g]}; x [M, N], shift/scale [G, N]. */
    void modulate(Tensor x, Tensor shift, Tensor scale);

    /** In place: {@code x[r] += y[r] · gate[g]}; x, y [M, N], gate [G, N]. */
    void addGated(Tensor x, Tensor y, Tensor gate);

    /** In place: {@code x += y}, same shape. */
    void add(Tensor x, Tensor y);

    /** In place SiLU: x·σ(x). */
    void silu(Tensor x);

    /** In place GELU, tanh approximation: 0.5u(1+tanh(√(2/π)(u+0.044715u³))). */
    void geluTanh(Tensor x);

    /**
     * In place rotary embedding on adjacent pairs: x [L, H, D]; for token l and pair i,
     * (x[2i], x[2i+1]) ← (x[2i]·c − x[2i+1]·s, x[2i]·s + x[2i+1]·c) with c = cos[l, i], s = sin[l, i]
     * ([L, D/2] each).
     */
    void rope(Tensor x, Tensor cos, Tensor sin);

    /**
     * Multi-head attention without mask: q [Lq, H, D] attends to rows {@code [from, to)} of
     * k, v [cap, H, D]; softmax(q·kᵀ·scale)·v → [Lq, H, D].
     */
    Tensor attention(Tensor q, Tensor k, Tensor v, int from, int to, float scale);

    /** Copies {@code count} rows (axis 0) from src to dst; overlapping ranges behave like memmove. */
    void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count);

    // ---- Channel-first volumes [C, T, H, W] (the VAE) ----

    /**
     * 3-D convolution (cross-correlation, as PyTorch's {@code Conv3d}), fp32 accumulation.
     * Time is never padded here: the caller prepends cached or zero frames (causal padding), so
     * {@code T ≥ kt}. A 2-D convolution applied per frame is the case {@code kt = 1} (reshape a
     * {@code [Cout, Cin, kh, kw]} weight to {@code [Cout, Cin, 1, kh, kw]}).
     *
     * @param x       input [Cin, T, H, W], F32
     * @param w       weight [Cout, Cin, kt, kh, kw], F32, BF16 or F16
     * @param bias    [Cout] or null
     * @param strideT stride along T (≥ 1); likewise {@code strideH}, {@code strideW}
     * @param padTop  zero rows above the input; {@code padBottom} below, {@code padLeft} /
     *                {@code padRight} zero columns left / right
     * @return y [Cout, (T − kt)/strideT + 1, (H + padTop + padBottom − kh)/strideH + 1,
     *         (W + padLeft + padRight − kw)/strideW + 1]
     */
    Tensor conv3d(Tensor x, Tensor w, Tensor bias, int strideT, int strideH, int strideW,
                  int padTop, int padBottom, int padLeft, int padRight);

    /**
     * RMS norm over axis 0 (the channels) of a channel-first tensor, as the VAE's {@code RMS_norm}
     * ({@code F.normalize(x, dim=1)·√C·γ}): {@code y[c, i] = x[c, i] / max(‖x[:, i]‖₂, 1e-12) · √C · gamma[c]}.
     *
     * @param x     [C, ...] (any trailing shape, e.g. [C, T, H, W])
     * @param gamma C elements (shape [C, 1, 1, 1], [C, 1, 1] or [C]), any float dtype
     * @return a new tensor shaped like x
     */
    Tensor channelRmsNorm(Tensor x, Tensor gamma);

    /**
     * In place per-channel affine map over axis 0: {@code x[c, i] = x[c, i]·scale[c] + shift[c]}.
     *
     * @param x     [C, ...], heap F32
     * @param scale C elements, or null for 1
     * @param shift C elements, or null for 0
     */
    void channelAffine(Tensor x, Tensor scale, Tensor shift);

    /** Nearest-neighbour ×2 upsampling of the last two axes: x [..., H, W] → [..., 2H, 2W] (new). */
    Tensor upsampleNearest2x(Tensor x);

    /**
     * A contiguous copy with permuted axes ({@code x.permute(axes).contiguous()}):
     * {@code y.dim(i) = x.dim(axes[i])}.
     *
     * @param x    any rank ≥ 1, F32
     * @param axes a permutation of {@code 0 … rank−1}
     */
    Tensor permute(Tensor x, int... axes);

    /**
     * Concatenation along {@code axis} into a new tensor; the parts (F32) agree on every other axis.
     *
     * @param axis  0 ≤ axis &lt; rank
     * @param parts one or more tensors of equal rank
     */
    Tensor concat(int axis, Tensor... parts);

    /** A copy of indices {@code [from, to)} along {@code axis}: x [..., n, ...] → [..., to − from, ...]. */
    Tensor slice(Tensor x, int axis, int from, int to);

    /** Mean over {@code axis}, which disappears: x [a, n, b] (axis of size n) → [a, b]. New tensor. */
    Tensor mean(Tensor x, int axis);

    /** In place clamp of every element to {@code [lo, hi]}. */
    void clamp(Tensor x, float lo, float hi);
}
