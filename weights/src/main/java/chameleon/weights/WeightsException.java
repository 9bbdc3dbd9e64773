package chameleon.weights;

/**
 * A checkpoint could not be read or does not fit: the message names the file, the tensor (where there
 * is one) and what was expected.
 */
public class WeightsException extends RuntimeException {
    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
