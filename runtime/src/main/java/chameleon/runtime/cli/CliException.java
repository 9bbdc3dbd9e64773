package chameleon.runtime.cli;

/** A command failed in a way the user can fix; its message is printed as the one-line error. */
final class CliException extends RuntimeException {
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
