package chameleon.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of a sentencepiece {@code ModelProto} ({@code spiece.model}) that unigram tokenisation
 * needs; everything else in the file is skipped.
 *
 * @param pieces                 the vocabulary in id order
 * @param byteFallback           trainer_spec.byte_fallback: unknown characters become {@code <0xXX>} pieces
 * @param normalizerName         normalizer_spec.name, for example {@code nmt_nfkc}
 * @param precompiledCharsmap    normalizer_spec.precompiled_charsmap, empty when the model has none
 * @param addDummyPrefix         normalizer_spec.add_dummy_prefix (default true)
 * @param removeExtraWhitespaces normalizer_spec.remove_extra_whitespaces (default true)
 * @param escapeWhitespaces      normalizer_spec.escape_whitespaces (default true)
 */
public record SentencePieceModel(List<Piece> pieces, boolean byteFallback, String normalizerName,
                                 byte[] precompiledCharsmap, boolean addDummyPrefix,
                                 boolean removeExtraWhitespaces, boolean escapeWhitespaces) {

    public SentencePieceModel {
        pieces = List.copyOf(pieces);
    }

    /** Reads {@code spiece.model}. */
    public static SentencePieceModel read(Path file) {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e, e);
        } catch (TokenizerException e) {
            throw new TokenizerException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the bytes of a {@code ModelProto}. */
    public static SentencePieceModel parse(byte[] bytes) {
        ProtoReader model = new ProtoReader(bytes);
        List<Piece> pieces = new ArrayList<>();
        boolean byteFallback = false;
        String name = "";
        byte[] charsmap = new byte[0];
        boolean dummyPrefix = true;
        boolean removeSpaces = true;
        boolean escapeSpaces = true;
        while (model.hasMore()) {
            int tag = model.readTag();
            int wire = tag & 7;
            switch (tag >>> 3) {
                case 1 -> pieces.add(readPiece(expectMessage(model, wire, "pieces")));
                case 2 -> byteFallback = readByteFallback(expectMessage(model, wire, "trainer_spec"));
                case 3 -> {
                    ProtoReader spec = expectMessage(model, wire, "normalizer_spec");
                    while (spec.hasMore()) {
                        int t = spec.readTag();
                        int w = t & 7;
                        switch (t >>> 3) {
                            case 1 -> name = w == ProtoReader.LENGTH_DELIMITED ? spec.readString() : wrongWire(spec, w);
                            case 2 -> charsmap = w == ProtoReader.LENGTH_DELIMITED ? spec.readBytes() : wrongWireBytes(spec, w);
                            case 3 -> dummyPrefix = readBool(spec, w, dummyPrefix);
                            case 4 -> removeSpaces = readBool(spec, w, removeSpaces);
                            case 5 -> escapeSpaces = readBool(spec, w, escapeSpaces);
                            default -> spec.skip(w);
                        }
                    }
                }
                default -> model.skip(wire);
            }
        }
        if (pieces.isEmpty()) {
            throw new TokenizerException("sentencepiece: model has no pieces");
        }
        return new SentencePieceModel(pieces, byteFallback, name, charsmap, dummyPrefix, removeSpaces,
                escapeSpaces);
    }

    /** The id of the {@code UNKNOWN} piece. */
    public int unkId() {
        for (int i = 0; i < pieces.size(); i++) {
            if (pieces.get(i).type() == Piece.Type.UNKNOWN) {
                return i;
            }
        }
        throw new TokenizerException("sentencepiece: model has no UNKNOWN piece");
    }

    private static Piece readPiece(ProtoReader r) {
        String text = null;
        float score = 0f;
        Piece.Type type = Piece.Type.NORMAL;
        while (r.hasMore()) {
            int tag = r.readTag();
            int wire = tag & 7;
            switch (tag >>> 3) {
                case 1 -> text = wire == ProtoReader.LENGTH_DELIMITED ? r.readString() : wrongWire(r, wire);
                case 2 -> {
                    if (wire != ProtoReader.FIXED32) {
                        throw new TokenizerException("sentencepiece: piece score has wire type " + wire);
                    }
                    score = r.readFloat();
                }
                case 3 -> {
                    if (wire != ProtoReader.VARINT) {
                        throw new TokenizerException("sentencepiece: piece type has wire type " + wire);
                    }
                    type = Piece.Type.of(r.readVarint());
                }
                default -> r.skip(wire);
            }
        }
        if (text == null) {
            throw new TokenizerException("sentencepiece: a piece has no text");
        }
        return new Piece(text, score, type);
    }

    /** trainer_spec field 35. */
    private static boolean readByteFallback(ProtoReader spec) {
        boolean fallback = false;
        while (spec.hasMore()) {
            int tag = spec.readTag();
            if (tag >>> 3 == 35) {
                fallback = readBool(spec, tag & 7, false);
            } else {
                spec.skip(tag & 7);
            }
        }
        return fallback;
    }

    private static ProtoReader expectMessage(ProtoReader r, int wire, String field) {
        if (wire != ProtoReader.LENGTH_DELIMITED) {
            throw new TokenizerException("sentencepiece: field " + field + " has wire type " + wire);
        }
        return r.readMessage();
    }

    private static boolean readBool(ProtoReader r, int wire, boolean fallback) {
        if (wire != ProtoReader.VARINT) {
            r.skip(wire);
            return fallback;
        }
        return r.readVarint() != 0;
    }

    private static String wrongWire(ProtoReader r, int wire) {
        throw new TokenizerException("sentencepiece: string field has wire type " + wire);
    }

    private static byte[] wrongWireBytes(ProtoReader r, int wire) {
        throw new TokenizerException("sentencepiece: bytes field has wire type " + wire);
    }
}
