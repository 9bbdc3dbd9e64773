package chameleon.weights;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hyper-parameters of a Wan causal DiT (MODEL.md §2.1), as far as they shape the checkpoint.
 *
 * @param dim           width of the residual stream (3072 for Wan2.2-TI2V-5B)
 * @param ffnDim        hidden width of the feed-forward network (14336)
 * @param numHeads      attention heads (24); {@code dim == numHeads · headDim}
 * @param headDim       channels per head; always 128 in Wan, which fixes the 3D-RoPE split
 * @param numLayers     transformer blocks (30)
 * @param inDim         latent channels entering the patch embedding (48)
 * @param outDim        latent channels the head predicts per pixel (48)
 * @param patch         patch size (t, h, w) of the patch-embedding Conv3d ((1, 2, 2))
 * @param textDim       width of the text-encoder output (4096, umT5)
 * @param freqDim       width of the sinusoidal timestep embedding (256)
 * @param eps           epsilon of every LayerNorm and RMSNorm (1e-6; not stored in checkpoints)
 * @param qkNorm        whether self- and cross-attention apply learned RMSNorm to q and k
 * @param crossAttnNorm whether an affine LayerNorm ({@code norm3}) precedes cross-attention
 */
public record DitConfig(int dim, int ffnDim, int numHeads, int headDim, int numLayers, int inDim, int outDim,
                        Patch patch, int textDim, int freqDim, double eps, boolean qkNorm, boolean crossAttnNorm) {

    /** Channels per attention head in every Wan model. */
    public static final int HEAD_DIM = 128;

    /** Norm epsilon of every Wan model. */
    public static final double EPS = 1e-6;

    /** Patch size of the patch-embedding Conv3d, in latent frames, rows and columns. */
    public record Patch(int t, int h, int w) {
        public Patch {
            if (t <= 0 || h <= 0 || w <= 0) {
                throw new IllegalArgumentException("patch sizes must be positive: " + t + "×" + h + "×" + w);
            }
        }

        /** Latent pixels per token: t · h · w. */
        public int volume() {
            return t * h * w;
        }
    }

    public DitConfig {
        if (dim <= 0 || ffnDim <= 0 || numHeads <= 0 || headDim <= 0 || numLayers <= 0 || inDim <= 0
                || outDim <= 0 || textDim <= 0 || freqDim <= 0 || !(eps > 0)) {
            throw new IllegalArgumentException("DiT config sizes must be positive: dim " + dim + ", ffn " + ffnDim
                    + ", heads " + numHeads + " × " + headDim + ", layers " + numLayers + ", in/out " + inDim + "/"
                    + outDim + ", text " + textDim + ", freq " + freqDim + ", eps " + eps);
        }
        if (dim != numHeads * headDim) {
            throw new IllegalArgumentException("dim " + dim + " != numHeads " + numHeads + " × headDim " + headDim);
        }
    }

    /** Wan2.2-TI2V-5B as FashionChameleon uses it (MODEL.md §2.1). */
    public static DitConfig wan22Ti2v5b() {
        return new DitConfig(3072, 14336, 24, HEAD_DIM, 30, 48, 48, new Patch(1, 2, 2), 4096, 256, EPS, true, true);
    }

    /**
     * Reads the config off tensor names and shapes:
     * dim, inDim and patch from {@code patch_embedding.weight} [dim, inDim, pt, ph, pw]; numLayers from the
     * {@code blocks.N.} indices (which must be exactly 0..L−1); numHeads = dim / 128; ffnDim from
     * {@code blocks.0.ffn.0.weight} [ffn, dim]; textDim from {@code text_embedding.0.weight} [dim, text];
     * freqDim from {@code time_embedding.0.weight} [dim, freq]; outDim from {@code head.head.weight}
     * [outDim·pt·ph·pw, dim]; qkNorm and crossAttnNorm from the presence of
     * {@code blocks.0.self_attn.norm_q.weight} and {@code blocks.0.norm3.weight}. Use {@link #validate}
     * to check the rest of the checkpoint against the result.
     *
     * @throws WeightsException naming the archive and the tensor that is missing or does not fit
     */
    public static DitConfig infer(TensorArchive archive) {
        Shape patchEmbedding = shape(archive, "patch_embedding.weight", 5); // [dim, in, pt, ph, pw]
        int dim = patchEmbedding.dim(0);
        int inDim = patchEmbedding.dim(1);
        Patch patch;
        try {
            patch = new Patch(patchEmbedding.dim(2), patchEmbedding.dim(3), patchEmbedding.dim(4));
        } catch (IllegalArgumentException e) {
            throw inferError(archive, "patch_embedding.weight", "has shape " + patchEmbedding
                    + ", expected positive patch sizes in dims 2..4");
        }
        if (dim <= 0 || dim % HEAD_DIM != 0) {
            throw inferError(archive, "patch_embedding.weight", "gives dim " + dim + ", expected a positive multiple of "
                    + HEAD_DIM + " (the head dim)");
        }
        int numLayers = countLayers(archive);
        int ffnDim = shape(archive, "blocks.0.ffn.0.weight", 2).dim(0);          // [ffn, dim]
        int textDim = shape(archive, "text_embedding.0.weight", 2).dim(1);       // [dim, text]
        int freqDim = shape(archive, "time_embedding.0.weight", 2).dim(1);       // [dim, freq]
        int headOut = shape(archive, "head.head.weight", 2).dim(0);              // [out·pt·ph·pw, dim]
        if (headOut % patch.volume() != 0) {
            throw inferError(archive, "head.head.weight", "has " + headOut + " rows, expected a multiple of the patch"
                    + " volume " + patch.volume() + " (outDim · pt · ph · pw)");
        }
        boolean qkNorm = archive.contains("blocks.0.self_attn.norm_q.weight");
        boolean crossAttnNorm = archive.contains("blocks.0.norm3.weight");
        try {
            return new DitConfig(dim, ffnDim, dim / HEAD_DIM, HEAD_DIM, numLayers, inDim, headOut / patch.volume(),
                    patch, textDim, freqDim, EPS, qkNorm, crossAttnNorm);
        } catch (IllegalArgumentException e) {
            throw new WeightsException(archive.source() + ": cannot infer the DiT config: " + e.getMessage(), e);
        }
    }

    /** Number of blocks: the {@code N} of {@code blocks.N.*} names, which must run 0..L−1 without a gap. */
    private static int countLayers(TensorArchive archive) {
        TreeSet<Integer> indices = new TreeSet<>();
        for (String name : archive.names()) {
            if (!name.startsWith("blocks.")) {
                continue;
            }
            int dot = name.indexOf('.', "blocks.".length());
            String index = name.substring("blocks.".length(), dot < 0 ? name.length() : dot);
            if (index.isEmpty() || index.length() > 6 || !index.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw inferError(archive, name, "expected blocks.N.… with a block number N");
            }
            indices.add(Integer.parseInt(index));
        }
        if (indices.isEmpty()) {
            throw new WeightsException(archive.source() + ": cannot infer the DiT config: no blocks.N.* tensors");
        }
        int layers = indices.size();
        int max = indices.last();
        if (max != layers - 1) {
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i <= max && missing.size() < 10; i++) {
                if (!indices.contains(i)) {
                    missing.add(i);
                }
            }
            throw new WeightsException(archive.source() + ": cannot infer the DiT config: block indices must run 0.."
                    + max + " without gaps, missing blocks " + missing);
        }
        return layers;
    }

    private static Shape shape(TensorArchive archive, String name, int rank) {
        if (!archive.contains(name)) {
            throw inferError(archive, name, "is missing");
        }
        Shape s = archive.info(name).shape();
        if (s.rank() != rank) {
            throw inferError(archive, name, "has shape " + s + ", expected rank " + rank);
        }
        return s;
    }

    private static WeightsException inferError(TensorArchive archive, String tensor, String what) {
        return new WeightsException(archive.source() + ": cannot infer the DiT config: tensor '" + tensor + "' " + what);
    }

    /**
     * Every tensor of a checkpoint for this config with its shape, in the order of MODEL.md §2.2: the
     * top-level tensors, then block 0, block 1, …
     */
    public Map<String, Shape> expectedTensors() {
        Map<String, Shape> t = new LinkedHashMap<>();
        t.put("patch_embedding.weight", Shape.of(dim, inDim, patch.t(), patch.h(), patch.w()));
        t.put("patch_embedding.bias", Shape.of(dim));
        t.put("text_embedding.0.weight", Shape.of(dim, textDim));
        t.put("text_embedding.0.bias", Shape.of(dim));
        t.put("text_embedding.2.weight", Shape.of(dim, dim));
        t.put("text_embedding.2.bias", Shape.of(dim));
        t.put("time_embedding.0.weight", Shape.of(dim, freqDim));
        t.put("time_embedding.0.bias", Shape.of(dim));
        t.put("time_embedding.2.weight", Shape.of(dim, dim));
        t.put("time_embedding.2.bias", Shape.of(dim));
        t.put("time_projection.1.weight", Shape.of(6 * dim, dim));    // the six modulation vectors
        t.put("time_projection.1.bias", Shape.of(6 * dim));
        t.put("head.modulation", Shape.of(1, 2, dim));                 // shift, scale
        t.put("head.head.weight", Shape.of(outDim * patch.volume(), dim));
        t.put("head.head.bias", Shape.of(outDim * patch.volume()));
        for (int i = 0; i < numLayers; i++) {
            String b = "blocks." + i + ".";
            t.put(b + "modulation", Shape.of(1, 6, dim));
            attention(t, b + "self_attn.");
            if (crossAttnNorm) {
                t.put(b + "norm3.weight", Shape.of(dim));
                t.put(b + "norm3.bias", Shape.of(dim));
            }
            attention(t, b + "cross_attn.");
            t.put(b + "ffn.0.weight", Shape.of(ffnDim, dim));
            t.put(b + "ffn.0.bias", Shape.of(ffnDim));
            t.put(b + "ffn.2.weight", Shape.of(dim, ffnDim));
            t.put(b + "ffn.2.bias", Shape.of(dim));
        }
        return t;
    }

    private void attention(Map<String, Shape> t, String prefix) {
        for (String p : new String[] {"q", "k", "v", "o"}) {
            t.put(prefix + p + ".weight", Shape.of(dim, dim));
            t.put(prefix + p + ".bias", Shape.of(dim));
        }
        if (qkNorm) {
            t.put(prefix + "norm_q.weight", Shape.of(dim)); // RMSNorm over all heads together
            t.put(prefix + "norm_k.weight", Shape.of(dim));
        }
    }

    /**
     * Checks that {@code archive} holds exactly {@link #expectedTensors()}: each with that shape and a
     * floating dtype (F32, BF16 or F16), and nothing else. A tensor this config does not know would be
     * silently ignored by the engine, so it is reported too. All problems are collected first.
     *
     * @throws WeightsException naming the archive and listing every problem, one per line
     */
    public void validate(TensorArchive archive) {
        Map<String, Shape> expected = expectedTensors();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            String name = e.getKey();
            if (!archive.contains(name)) {
                problems.add("missing tensor " + name + ", expected shape " + e.getValue());
                continue;
            }
            TensorInfo info = archive.info(name);
            if (!info.shape().equals(e.getValue())) {
                problems.add("tensor " + name + " has shape " + info.shape() + ", expected " + e.getValue());
            }
            DType d = info.dtype();
            if (d != DType.F32 && d != DType.BF16 && d != DType.F16) {
                problems.add("tensor " + name + " has dtype " + d + ", expected F32/BF16/F16");
            }
        }
        for (String name : archive.names()) {
            if (!expected.containsKey(name)) {
                problems.add("unexpected tensor " + name + " " + archive.info(name).shape()
                        + ", not part of a DiT with this config");
            }
        }
        if (!problems.isEmpty()) {
            throw new WeightsException(archive.source() + ": checkpoint does not match the DiT config (" + summary()
                    + "): " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + ":\n  "
                    + String.join("\n  ", problems));
        }
    }

    /** A one-line summary such as {@code dim 3072, 30 layers, 24 heads, ffn 14336, in/out 48/48}. */
    public String summary() {
        return "dim " + dim + ", " + numLayers + " layers, " + numHeads + " heads, ffn " + ffnDim + ", in/out "
                + inDim + "/" + outDim + ", patch " + patch.t() + "×" + patch.h() + "×" + patch.w() + ", text " + textDim
                + ", freq " + freqDim + (qkNorm ? ", qk-norm" : "") + (crossAttnNorm ? ", cross-attn norm" : "");
    }
}
