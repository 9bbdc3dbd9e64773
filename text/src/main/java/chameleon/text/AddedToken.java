package chameleon.text;

/**
 * A special token matched literally in the cleaned text before normalisation ({@code </s>},
 * {@code <pad>}, {@code <unk>}, {@code <extra_id_N>}).
 *
 * @param content the literal text
 * @param id      its id
 */
public record AddedToken(String content, int id) {
}
