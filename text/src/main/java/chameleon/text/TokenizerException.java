package chameleon.text;

/** A tokenizer file that cannot be read or does not hold what the tokenizer needs. */
public final class TokenizerException extends RuntimeException {
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
