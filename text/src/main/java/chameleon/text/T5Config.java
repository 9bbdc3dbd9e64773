package chameleon.text;

import chameleon.tensor.Shape;
import chameleon.weights.TensorArchive;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a umT5 encoder ({@code umt5_xxl(encoder_only=True)} in Wan's {@code t5.py}).
 *
 * @param vocab      token embedding rows
 * @param dim        model width
 * @param dimAttn    width of q, k, v (heads × headDim)
 * @param heads      attention heads
 * @param dimFfn     gated feed-forward width
 * @param layers     encoder blocks, each with its own relative-position table (umT5)
 * @param numBuckets relative-position buckets (bidirectional)
 * @param maxDist    distance at which the buckets saturate
 * @param eps        RMS norm epsilon
 */
public record T5Config(int vocab, int dim, int dimAttn, int heads, int dimFfn, int layers, int numBuckets,
                       int maxDist, float eps) {

    /** The real model: umT5-XXL's encoder. */
    public static final T5Config UMT5_XXL = new T5Config(256_384, 4096, 4096, 64, 10_240, 24, 32, 128, 1e-6f);

    public T5Config {
        if (dimAttn % heads != 0) {
            throw new IllegalArgumentException("dimAttn " + dimAttn + " is not a multiple of heads " + heads);
        }
    }

    /** The encoder state dict this config expects: official names, PyTorch {@code Linear} layout [out, in]. */
    public Map<String, Shape> expectedTensors() {
        Map<String, Shape> t = new LinkedHashMap<>();
        t.put("token_embedding.weight", Shape.of(vocab, dim));
        for (int i = 0; i < layers; i++) {
            String b = "blocks." + i + ".";
            t.put(b + "norm1.weight", Shape.of(dim));
            t.put(b + "attn.q.weight", Shape.of(dimAttn, dim));
            t.put(b + "attn.k.weight", Shape.of(dimAttn, dim));
            t.put(b + "attn.v.weight", Shape.of(dimAttn, dim));
            t.put(b + "attn.o.weight", Shape.of(dim, dimAttn));
            t.put(b + "norm2.weight", Shape.of(dim));
            t.put(b + "ffn.gate.0.weight", Shape.of(dimFfn, dim));
            t.put(b + "ffn.fc1.weight", Shape.of(dimFfn, dim));
            t.put(b + "ffn.fc2.weight", Shape.of(dim, dimFfn));
            t.put(b + "pos_embedding.embedding.weight", Shape.of(numBuckets, heads));
        }
        t.put("norm.weight", Shape.of(dim));
        return t;
    }

    public int headDim() {
        return dimAttn / heads;
    }

    /**
     * Reads the shape off the tensor shapes of a state dict. {@code max_dist} and {@code eps} are not in
     * the weights; they are umT5's (128, 1e-6), which Wan never changes.
     */
    public static T5Config inferFrom(TensorArchive archive) {
        int[] emb = archive.info("token_embedding.weight").shape().dims();
        int layers = 0;
        while (archive.names().contains("blocks." + layers + ".norm1.weight")) {
            layers++;
        }
        if (layers == 0) {
            throw new TokenizerException(archive.source() + ": no blocks.0.norm1.weight, not a T5 encoder");
        }
        int[] q = archive.info("blocks.0.attn.q.weight").shape().dims();
        int[] fc1 = archive.info("blocks.0.ffn.fc1.weight").shape().dims();
        int[] pos = archive.info("blocks.0.pos_embedding.embedding.weight").shape().dims();
        return new T5Config(emb[0], emb[1], q[0], pos[1], fc1[0], layers, pos[0], 128, 1e-6f);
    }
}
