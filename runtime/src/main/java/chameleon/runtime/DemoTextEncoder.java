package chameleon.runtime;

import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.text.Piece;
import chameleon.text.SentencePieceModel;
import chameleon.text.T5Config;
import chameleon.text.T5Tokenizer;
import chameleon.weights.InMemoryArchive;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The demo's text encoder: the real umT5 encoder and Wan tokenizer code over a tiny vocabulary and
 * deterministic random weights, built in memory (no file). It lets the demo take text prompts (the
 * live page's prompt box, {@code generate --prompt}) without the 11 GB checkpoint; like the demo DiT,
 * what it computes means nothing, it only drives the same code paths.
 *
 * <p>The vocabulary is T5's layout (pad 0, EOS 1, unk 2, the 256 byte pieces) followed by {@code ▁}, single
 * letters, digits and punctuation, and a few dozen prompt words; anything else falls back to bytes. There
 * is no normaliser table (the real model's nmt_nfkc charsmap is not needed to exercise the path).
 */
public final class DemoTextEncoder {
    /** dim = the demo DiT's text_dim (64), 4 heads × 16, ffn 128, 2 layers, 384 embedding rows. */
    public static final T5Config CONFIG = new T5Config(384, DemoCheckpoint.ditConfig().textDim(),
            DemoCheckpoint.ditConfig().textDim(), 4, 128, 2, 32, 128, 1e-6f);

    private static final long SEED = 20_261_010L;
    private static final List<String> WORDS = List.of("a", "an", "the", "in", "on", "of", "with", "and", "is",
            "man", "woman", "person", "model", "wearing", "wears", "shirt", "dress", "jacket", "coat", "skirt",
            "striped", "dotted", "red", "blue", "green", "white", "black", "yellow", "denim", "linen", "cotton",
            "silk", "turns", "walks", "smiles", "looks", "at", "to", "camera", "studio", "street", "light",
            "slowly", "video", "garment", "fashion", "long", "short", "sleeve", "t-shirt", "hat", "scarf");

    private DemoTextEncoder() {
    }

    /**
     * A fresh encoder (weights generated in a few milliseconds) on {@code backend}.
     *
     * @param textLen rows of every embedding ({@link DemoCheckpoint#TEXT_LEN} for the demo DiT)
     */
    public static PromptEncoder open(int textLen, Backend backend) {
        InMemoryArchive archive = new InMemoryArchive("<demo text encoder: random weights>");
        for (Map.Entry<String, Tensor> e : RandomStateDict.generate(CONFIG.expectedTensors(), SEED, DType.F32)
                .entrySet()) {
            archive.put(e.getKey(), e.getValue());
        }
        return PromptEncoder.of(archive, tokenizer(), textLen, backend);
    }

    /** The demo vocabulary as a sentencepiece model (byte fallback on, no normaliser table). */
    static T5Tokenizer tokenizer() {
        List<Piece> pieces = new ArrayList<>();
        pieces.add(new Piece("<pad>", 0f, Piece.Type.CONTROL));
        pieces.add(new Piece("</s>", 0f, Piece.Type.CONTROL));
        pieces.add(new Piece("<unk>", 0f, Piece.Type.UNKNOWN));
        for (int b = 0; b < 256; b++) {
            pieces.add(new Piece(String.format("<0x%02X>", b), 0f, Piece.Type.BYTE));
        }
        pieces.add(new Piece("\u2581", -6f, Piece.Type.NORMAL));
        String single = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-'";
        for (char c : single.toCharArray()) {
            pieces.add(new Piece(String.valueOf(c), -8f, Piece.Type.NORMAL));
        }
        for (String w : WORDS) {
            pieces.add(new Piece("\u2581" + w, -4f, Piece.Type.NORMAL));
        }
        if (pieces.size() > CONFIG.vocab()) {
            throw new IllegalStateException("demo vocabulary " + pieces.size() + " exceeds the embedding " + CONFIG.vocab());
        }
        return T5Tokenizer.fromModel(new SentencePieceModel(pieces, true, "", new byte[0], true, true, true));
    }
}
