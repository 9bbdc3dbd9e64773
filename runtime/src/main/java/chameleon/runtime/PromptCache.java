package chameleon.runtime;

import chameleon.layers.dit.TextConditioning;
import chameleon.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The engine's least-recently-used cache of {@link PreparedPrompt}s, keyed by the SHA-256 of the
 * embedding (so a text and a file holding the same embedding share one entry), with a side index from
 * prompt text to that key (so a known text skips the encoder too).
 *
 * <p>Memory bound: at most {@code capacity} entries, each {@code textLen × (textDim + dim·(1 + 2·layers))
 * × 4} bytes (embedding, context, K and V of every block): 16 × (64 + 256·5) × 4 = 86 KB for the demo,
 * 512 × (4096 + 3072·61) × 4 ≈ 392 MB for Wan2.2-TI2V-5B. Sessions hold their prompt's entry while they
 * use it, evicted or not, and hold nothing else of it: without the cache each session kept its own copy.
 *
 * <p>Lookups and the computation of a missing entry run under one lock, so a prompt asked for by several
 * sessions at once is computed once; other prompts wait meanwhile.
 */
final class PromptCache {
    private final int capacity;
    private final Map<String, PreparedPrompt> byDigest;
    private final Map<String, String> digestByText;

    /** @param capacity entries kept; 0 keeps none (every request recomputes) */
    PromptCache(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("prompt cache capacity must be at least 0, got " + capacity);
        }
        this.capacity = capacity;
        this.byDigest = lru(capacity);
        this.digestByText = lru(4 * capacity); // texts are small; several may map to one embedding
    }

    /** What the encoder gives for a text. */
    record Encoded(Tensor embedding, int tokens, int kept) {
    }

    /** The entry of {@code text}, encoding and projecting it only when the cache does not hold it. */
    synchronized PreparedPrompt text(String text, Function<String, Encoded> encode,
                                     Function<Tensor, TextConditioning> project) {
        String known = digestByText.get(text);
        PreparedPrompt hit = known == null ? null : byDigest.get(known);
        if (hit != null && text.equals(hit.text())) {
            return hit;
        }
        Encoded e = encode.apply(text);
        String digest = digest(e.embedding());
        PreparedPrompt p = byDigest.get(digest);
        if (p == null || !text.equals(p.text())) {
            // Same embedding from another text (or from a file): reuse its DiT K/V, keep this text's label.
            TextConditioning dit = p != null ? p.conditioning() : project.apply(e.embedding());
            p = new PreparedPrompt(text, e.tokens(), e.kept(), e.embedding(), dit, digest);
        }
        store(p);
        if (capacity > 0) {
            digestByText.put(text, digest);
        }
        return p;
    }

    /** The entry of a precomputed embedding [textLen, textDim], projecting it only when not held. */
    synchronized PreparedPrompt embedding(Tensor embedding, Function<Tensor, TextConditioning> project) {
        String digest = digest(embedding);
        PreparedPrompt p = byDigest.get(digest);
        if (p == null) {
            Tensor own = embedding.copy(); // the caller may reuse its tensor; the entry must not change
            p = new PreparedPrompt(null, 0, 0, own, project.apply(own), digest);
            store(p);
        }
        return p;
    }

    /** Entries held now. */
    synchronized int size() {
        return byDigest.size();
    }

    private void store(PreparedPrompt p) {
        if (capacity > 0) {
            byDigest.put(p.digest(), p);
        }
    }

    /** SHA-256 of the shape and the F32 bits, row-major: equal exactly when the DiT would see equal input. */
    static String digest(Tensor embedding) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JRE has no SHA-256", e);
        }
        float[] v = embedding.toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(embedding.dim(0)).putInt(embedding.dim(1));
        b.asFloatBuffer().put(v);
        sha.update(b.array());
        return HexFormat.of().formatHex(sha.digest());
    }

    private static <V> Map<String, V> lru(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > max;
            }
        };
    }
}
