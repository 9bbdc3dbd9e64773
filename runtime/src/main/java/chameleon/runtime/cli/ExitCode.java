package chameleon.runtime.cli;

/** Exit codes of the {@code chameleon} command (listed in the README). */
final class ExitCode {
    static final int OK = 0;
    /** The computation or a file failed: bad checkpoint, unreadable image, I/O error. */
    static final int FAILED = 1;
    /** The command line was wrong: unknown command or option, missing or malformed argument. */
    static final int USAGE = 2;

    private ExitCode() {
    }
}
