package chameleon.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} of a T5-style Unigram model, read as the same vocabulary a
 * {@code spiece.model} holds: {@code model.vocab} [piece, score] pairs, {@code model.unk_id},
 * {@code model.byte_fallback}, the {@code Precompiled} normaliser's charsmap (base64) and the
 * {@code added_tokens}.
 *
 * @param model the vocabulary and normaliser in sentencepiece terms: special added tokens are CONTROL,
 *              {@code unk_id} is UNKNOWN, {@code <0xXX>} pieces are BYTE when byte fallback is on
 * @param added the added tokens, matched literally before normalisation
 */
public record TokenizerJson(SentencePieceModel model, List<AddedToken> added) {

    public TokenizerJson {
        added = List.copyOf(added);
    }

    public static TokenizerJson read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e, e);
        }
        JsonNode model = root.path("model");
        if (!"Unigram".equals(model.path("type").asText())) {
            throw new TokenizerException(file + ": model.type is \"" + model.path("type").asText()
                    + "\", expected Unigram (a T5 tokenizer)");
        }
        List<AddedToken> added = new ArrayList<>();
        Set<Integer> special = new HashSet<>();
        for (JsonNode t : root.path("added_tokens")) {
            added.add(new AddedToken(t.path("content").asText(), t.path("id").asInt()));
            if (t.path("special").asBoolean(false)) {
                special.add(t.path("id").asInt());
            }
        }
        int unkId = model.path("unk_id").asInt(-1);
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        List<Piece> pieces = new ArrayList<>();
        JsonNode vocab = model.path("vocab");
        for (int id = 0; id < vocab.size(); id++) {
            JsonNode entry = vocab.get(id);
            if (!entry.isArray() || entry.size() != 2 || !entry.get(1).isNumber()) {
                throw new TokenizerException(file + ": model.vocab[" + id + "] is not a [piece, score] pair");
            }
            String text = entry.get(0).asText();
            Piece.Type type = id == unkId ? Piece.Type.UNKNOWN
                    : special.contains(id) ? Piece.Type.CONTROL
                    : byteFallback && text.matches("<0x[0-9A-F]{2}>") ? Piece.Type.BYTE
                    : Piece.Type.NORMAL;
            pieces.add(new Piece(text, (float) entry.get(1).asDouble(), type));
        }
        if (unkId < 0 || unkId >= pieces.size()) {
            throw new TokenizerException(file + ": model.unk_id " + unkId + " is not in the vocabulary");
        }
        byte[] charsmap = charsmap(root.path("normalizer"));
        return new TokenizerJson(new SentencePieceModel(pieces, byteFallback, "precompiled", charsmap, true, true,
                true), added);
    }

    /** The Precompiled normaliser's table, alone or inside a Sequence; empty when there is none. */
    private static byte[] charsmap(JsonNode normalizer) {
        if ("Precompiled".equals(normalizer.path("type").asText())) {
            return Base64.getDecoder().decode(normalizer.path("precompiled_charsmap").asText());
        }
        for (JsonNode n : normalizer.path("normalizers")) {
            byte[] found = charsmap(n);
            if (found.length > 0) {
                return found;
            }
        }
        return new byte[0];
    }
}
