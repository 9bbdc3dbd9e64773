package chameleon.runtime.io;

/**
 * An input image that cannot be used: unreadable, not an image, of a colour type we refuse, zero-size or
 * too large. The message always starts with the {@linkplain #source() source} (a file path or the name
 * given with in-memory bytes) and says what was expected, so a CLI can print it as is.
 *
 * <p>It is an {@link IllegalArgumentException} because a bad image is a bad argument to the engine, not
 * an engine failure.
 */
public final class ImageInputException extends IllegalArgumentException {
    private final String source;

    public ImageInputException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    public ImageInputException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
    }

    /** The file path or name of the offending image. */
    public String source() {
        return source;
    }
}
