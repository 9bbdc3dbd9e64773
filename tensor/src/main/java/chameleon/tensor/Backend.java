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
}
