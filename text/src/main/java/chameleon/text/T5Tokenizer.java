package chameleon.text;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Wan's prompt tokenizer: {@code HuggingfaceTokenizer(clean='whitespace')} over the {@code google/umt5-xxl}
 * folder, as transformers' fast T5 tokenizer runs {@code tokenizer.json}.
 *
 * <ol>
 *   <li>clean the text ({@link WanTextCleaner});
 *   <li>split out literal special tokens; each stretch between them is tokenised on its own;
 *   <li>normalise with the model's precompiled charsmap, collapse runs of spaces;
 *   <li>Metaspace: spaces become {@code ▁}, a {@code ▁} is prepended, split before each {@code ▁};
 *   <li>unigram Viterbi with byte fallback ({@link UnigramModel});
 *   <li>append EOS, truncate to {@code textLen} keeping EOS last, pad with the pad id.
 * </ol>
 */
public final class T5Tokenizer {
    private static final String SPACE = "\u2581";
    private static final Pattern SPACE_RUNS = Pattern.compile(" {2,}");

    private final UnigramModel unigram;
    private final PrecompiledCharsmap charsmap;
    private final List<AddedToken> added;
    private final int eosId;
    private final int padId;

    private T5Tokenizer(SentencePieceModel model, boolean byteFallback, List<AddedToken> added, int eosId,
                        int padId) {
        this.unigram = new UnigramModel(model.pieces(), model.unkId(), byteFallback);
        this.charsmap = model.precompiledCharsmap().length == 0 ? null
                : new PrecompiledCharsmap(model.precompiledCharsmap());
        this.added = List.copyOf(added);
        this.eosId = eosId;
        this.padId = padId;
    }

    /**
     * The tokenizer of a {@code google/umt5-xxl}-style folder: pieces, scores and the normaliser from
     * {@code spiece.model}; the special tokens and the byte-fallback flag from {@code tokenizer.json} when
     * the folder has one (it is what transformers runs). A folder with only {@code tokenizer.json} is
     * read from it alone; one with only {@code spiece.model} has no sentinel tokens.
     */
    public static T5Tokenizer fromFolder(Path folder) {
        Path spm = folder.resolve("spiece.model");
        Path json = folder.resolve("tokenizer.json");
        if (!Files.exists(json)) {
            if (!Files.exists(spm)) {
                throw new TokenizerException(folder + ": holds neither spiece.model nor tokenizer.json");
            }
            return fromModel(SentencePieceModel.read(spm));
        }
        TokenizerJson hf = TokenizerJson.read(json);
        if (!Files.exists(spm)) {
            return fromTokenizerJson(hf);
        }
        SentencePieceModel model = SentencePieceModel.read(spm);
        return new T5Tokenizer(model, hf.model().byteFallback(), hf.added(), idOf(hf.added(), "</s>", model),
                idOf(hf.added(), "<pad>", model));
    }

    /** The tokenizer of a {@code tokenizer.json} alone. */
    public static T5Tokenizer fromTokenizerJson(TokenizerJson hf) {
        SentencePieceModel model = hf.model();
        return new T5Tokenizer(model, model.byteFallback(), hf.added(), idOf(hf.added(), "</s>", model),
                idOf(hf.added(), "<pad>", model));
    }

    /** The tokenizer of a bare {@code spiece.model}: its control and unknown pieces are the special tokens. */
    public static T5Tokenizer fromModel(SentencePieceModel model) {
        List<AddedToken> added = new ArrayList<>();
        for (int id = 0; id < model.pieces().size(); id++) {
            Piece p = model.pieces().get(id);
            if (p.type() == Piece.Type.CONTROL || p.type() == Piece.Type.UNKNOWN) {
                added.add(new AddedToken(p.text(), id));
            }
        }
        return new T5Tokenizer(model, model.byteFallback(), added, idOf(added, "</s>", model),
                idOf(added, "<pad>", model));
    }

    /** Tokenises {@code text}, padded or truncated to {@code textLen} (512 in the pipeline). */
    public TokenizedPrompt encode(String text, int textLen) {
        int[] all = encodeUnpadded(text);
        int kept = Math.min(all.length, textLen);
        int[] ids = new int[textLen];
        int[] mask = new int[textLen];
        Arrays.fill(ids, padId);
        System.arraycopy(all, 0, ids, 0, kept);
        if (all.length > textLen) {
            ids[textLen - 1] = eosId;
        }
        Arrays.fill(mask, 0, kept, 1);
        return new TokenizedPrompt(ids, mask, kept);
    }

    /** The full id sequence of {@code text}, EOS included, without truncation or padding. */
    public int[] encodeUnpadded(String text) {
        String cleaned = WanTextCleaner.clean(text);
        IntList out = new IntList();
        int stretch = 0;
        int i = 0;
        while (i < cleaned.length()) {
            AddedToken match = addedTokenAt(cleaned, i);
            if (match == null) {
                i++;
                continue;
            }
            encodeStretch(cleaned.substring(stretch, i), out);
            out.add(match.id());
            i += match.content().length();
            stretch = i;
        }
        encodeStretch(cleaned.substring(stretch), out);
        out.add(eosId);
        return out.toArray();
    }

    /** Steps 3–5 for the text between two special tokens. */
    private void encodeStretch(String stretch, IntList out) {
        if (stretch.isEmpty()) {
            return;
        }
        String normalized = charsmap == null ? stretch : charsmap.normalize(stretch);
        normalized = SPACE_RUNS.matcher(normalized).replaceAll(" ");
        if (normalized.isEmpty()) {
            return;
        }
        String escaped = normalized.replace(" ", SPACE);
        if (!escaped.startsWith(SPACE)) {
            escaped = SPACE + escaped;
        }
        int start = 0;
        for (int at = escaped.indexOf(SPACE, 1); at >= 0; at = escaped.indexOf(SPACE, at + 1)) {
            unigram.encode(escaped.substring(start, at), out);
            start = at;
        }
        unigram.encode(escaped.substring(start), out);
    }

    /** The longest special token starting at {@code i}, or null. */
    private AddedToken addedTokenAt(String text, int i) {
        AddedToken best = null;
        for (AddedToken t : added) {
            if (!t.content().isEmpty() && text.startsWith(t.content(), i)
                    && (best == null || t.content().length() > best.content().length())) {
                best = t;
            }
        }
        return best;
    }

    private static int idOf(List<AddedToken> added, String content, SentencePieceModel model) {
        for (AddedToken t : added) {
            if (t.content().equals(content)) {
                return t.id();
            }
        }
        for (int id = 0; id < model.pieces().size(); id++) {
            if (model.pieces().get(id).text().equals(content)) {
                return id;
            }
        }
        throw new TokenizerException("tokenizer has no " + content + " token");
    }
}
