package chameleon.text;

/**
 * A prompt as the encoder takes it: ids padded to the text length and the attention mask.
 *
 * @param ids    [textLen] token ids, EOS after the last kept token, then pad ids
 * @param mask   [textLen] 1 for kept tokens (EOS included), 0 for padding
 * @param length the number of kept tokens, {@code sum(mask)}
 */
public record TokenizedPrompt(int[] ids, int[] mask, int length) {
    public TokenizedPrompt {
        if (ids.length != mask.length) {
            throw new IllegalArgumentException("ids " + ids.length + " and mask " + mask.length + " differ");
        }
    }

    public int textLen() {
        return ids.length;
    }
}
