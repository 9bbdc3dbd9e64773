package chameleon.runtime;

import chameleon.layers.dit.TextConditioning;
import chameleon.tensor.Tensor;

/**
 * A prompt ready for sessions: its umT5 embedding and what the DiT computes from it once (the embedded
 * context and every block's cross-attention K/V). Immutable and shared: {@link Engine#prompt(String)}
 * hands the same instance to every session of the same prompt while it stays in the engine's cache.
 *
 * @param text         the prompt text, or null when the prompt came as a precomputed embedding
 * @param tokens       tokens of the text with EOS, before truncation (0 for an embedding)
 * @param kept         tokens the encoder saw: {@code min(tokens, textLen)}; Wan truncates longer prompts to
 *                     their first {@code textLen − 1} tokens plus EOS, and so does this engine
 * @param embedding    [textLen, textDim] umT5 output, padding rows exactly zero
 * @param conditioning the DiT's context and cross-attention K/V of {@code embedding}
 * @param digest       SHA-256 of the embedding's shape and float bits, in hex: the cache key
 */
public record PreparedPrompt(String text, int tokens, int kept, Tensor embedding, TextConditioning conditioning,
                             String digest) {

    /** True when the text had more tokens than the text length and its tail was cut, as Wan cuts it. */
    public boolean truncated() {
        return tokens > kept;
    }

    /** The text, or {@code embedding sha256:<first 12 hex digits>} for a precomputed embedding. */
    public String label() {
        return text != null ? text : "embedding sha256:" + digest.substring(0, 12);
    }
}
