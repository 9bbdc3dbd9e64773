package chameleon.text;

/**
 * One vocabulary entry of a sentencepiece model.
 *
 * @param text  the piece as it appears in normalised text ({@code ▁} stands for a space)
 * @param score its log probability, the weight Viterbi maximises
 * @param type  what kind of piece it is
 */
public record Piece(String text, float score, Type type) {

    /** sentencepiece's {@code SentencePiece.Type}, by its protobuf number. */
    public enum Type {
        NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

        static Type of(long number) {
            return switch ((int) number) {
                case 1 -> NORMAL;
                case 2 -> UNKNOWN;
                case 3 -> CONTROL;
                case 4 -> USER_DEFINED;
                case 5 -> UNUSED;
                case 6 -> BYTE;
                default -> throw new TokenizerException("sentencepiece: unknown piece type " + number);
            };
        }
    }
}
