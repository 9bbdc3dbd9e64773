package chameleon.text;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Unigram segmentation: the split of a pre-token into vocabulary pieces whose scores sum highest,
 * found by Viterbi over code-point positions. A character no piece covers becomes the unknown piece
 * (score: lowest piece score − 10, as sentencepiece and HF tokenizers use), and with byte fallback
 * each unknown stretch is then spelled as its UTF-8 bytes {@code <0xXX>}.
 */
final class UnigramModel {
    private static final float UNK_PENALTY = 10f;

    private final Map<String, Integer> ids = new HashMap<>();
    private final float[] scores;
    private final int maxPieceChars;
    private final int unkId;
    private final float unkScore;
    /** Id of {@code <0xXX>} per byte, or null without byte fallback. */
    private final int[] byteIds;

    UnigramModel(List<Piece> pieces, int unkId, boolean byteFallback) {
        this.unkId = unkId;
        this.scores = new float[pieces.size()];
        float min = Float.MAX_VALUE;
        int longest = 1;
        int[] bytes = new int[256];
        java.util.Arrays.fill(bytes, -1);
        for (int id = 0; id < pieces.size(); id++) {
            Piece p = pieces.get(id);
            scores[id] = p.score();
            switch (p.type()) {
                // Only these take part in the search; control, unknown and byte pieces never match text.
                case NORMAL, USER_DEFINED -> {
                    ids.putIfAbsent(p.text(), id);
                    min = Math.min(min, p.score());
                    longest = Math.max(longest, p.text().codePointCount(0, p.text().length()));
                }
                case BYTE -> {
                    int b = byteOf(p.text());
                    if (b >= 0) {
                        bytes[b] = id;
                    }
                }
                default -> { }
            }
        }
        this.maxPieceChars = longest;
        this.unkScore = (min == Float.MAX_VALUE ? 0f : min) - UNK_PENALTY;
        boolean allBytes = java.util.Arrays.stream(bytes).allMatch(i -> i >= 0);
        if (byteFallback && !allBytes) {
            throw new TokenizerException("sentencepiece: byte_fallback is set but the model lacks some"
                    + " <0xXX> pieces");
        }
        this.byteIds = byteFallback ? bytes : null;
    }

    /** Appends the ids of {@code text} (one pre-token, already normalised and escaped) to {@code out}. */
    void encode(String text, IntList out) {
        int[] cps = text.codePoints().toArray();
        int n = cps.length;
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + Character.charCount(cps[i]);
        }
        double[] best = new double[n + 1];
        int[] from = new int[n + 1];
        int[] piece = new int[n + 1];
        boolean[] reached = new boolean[n + 1];
        reached[0] = true;
        for (int start = 0; start < n; start++) {
            if (!reached[start]) {
                continue;
            }
            boolean single = false;
            for (int len = 1; len <= maxPieceChars && start + len <= n; len++) {
                Integer id = ids.get(text.substring(offsets[start], offsets[start + len]));
                if (id == null) {
                    continue;
                }
                single |= len == 1;
                relax(best, from, piece, reached, start, start + len, id, scores[id]);
            }
            if (!single) {
                relax(best, from, piece, reached, start, start + 1, unkId, unkScore);
            }
        }
        // Walk back, then emit in order; consecutive unknowns are fused before the byte fallback.
        IntList reversedEnds = new IntList();
        for (int at = n; at > 0; at = from[at]) {
            reversedEnds.add(at);
        }
        int unkFrom = -1;
        for (int k = reversedEnds.size() - 1; k >= 0; k--) {
            int end = reversedEnds.get(k);
            int start = from[end];
            if (piece[end] == unkId) {
                if (unkFrom < 0) {
                    unkFrom = start;
                }
                continue;
            }
            if (unkFrom >= 0) {
                emitUnknown(text.substring(offsets[unkFrom], offsets[start]), out);
                unkFrom = -1;
            }
            out.add(piece[end]);
        }
        if (unkFrom >= 0) {
            emitUnknown(text.substring(offsets[unkFrom], offsets[n]), out);
        }
    }

    private void emitUnknown(String s, IntList out) {
        if (byteIds == null) {
            out.add(unkId);
            return;
        }
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            out.add(byteIds[b & 0xFF]);
        }
    }

    /** Strictly-greater update: on a tie the path found first (earlier start, shorter piece) stays. */
    private static void relax(double[] best, int[] from, int[] piece, boolean[] reached, int start, int end,
                              int id, float score) {
        double candidate = best[start] + score;
        if (!reached[end] || candidate > best[end]) {
            best[end] = candidate;
            from[end] = start;
            piece[end] = id;
            reached[end] = true;
        }
    }

    private static int byteOf(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }
}
