package chameleon.runtime.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Temporary files that become outputs by an atomic rename, so a reader never sees a partial file.
 *
 * <p>A temporary file is named {@code .<name>.<pid>.<random><suffix>}: hidden, next to its target, and
 * carrying the id of the process writing it. A process killed before its rename leaves that file behind;
 * {@link #removeStale} deletes it the next time the same target is written, and only when the process
 * that made it is gone, so two live writers of one target never delete each other's file.
 */
public final class OutputFile {
    /** {@code <pid>.<random>}: createTempFile's random part is an unsigned decimal number. */
    private static final Pattern TEMP_MIDDLE = Pattern.compile("([0-9]+)\\.[0-9]+");

    private OutputFile() {
    }

    /**
     * A new hidden file next to {@code target} ({@code .<name>.<pid>.…<suffix>}). {@code createTempFile}
     * alone makes it 0600; the finished output should be readable like any other file, so it is 0644.
     */
    public static Path temporarySibling(Path target, String suffix) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        FileAttribute<?>[] attrs = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))}
                : new FileAttribute<?>[0];
        return Files.createTempFile(dir, prefix(target) + ProcessHandle.current().pid() + ".", suffix, attrs);
    }

    /**
     * Deletes the temporary files of {@code target} (those {@link #temporarySibling} makes with
     * {@code suffix}) whose writing process is no longer alive. Files of live processes, this one
     * included, and every other file are left alone. Best effort: a file that cannot be listed or
     * deleted is skipped, since a leftover temporary never stands in for the output.
     *
     * @return the files deleted
     */
    public static List<Path> removeStale(Path target, String suffix) {
        Path dir = target.toAbsolutePath().getParent();
        String prefix = prefix(target);
        List<Path> removed = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return removed;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!name.startsWith(prefix) || !name.endsWith(suffix) || !Files.isRegularFile(p)) {
                    continue;
                }
                long pid = pidOf(name.substring(prefix.length(), name.length() - suffix.length()));
                if (pid < 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                try {
                    if (Files.deleteIfExists(p)) {
                        removed.add(p);
                    }
                } catch (IOException e) {
                    // skipped: see the method's contract
                }
            }
        } catch (IOException e) {
            // an unlistable folder will fail the write itself, with a better message
        }
        return removed;
    }

    private static String prefix(Path target) {
        return "." + target.getFileName() + ".";
    }

    /**
     * The pid of a middle part {@code <pid>.<random>} ("1234.5678"), or −1 for anything else: the exact
     * form matters, since {@code .v.mp4.5.1234.5678.part} belongs to target {@code v.mp4.5}, not {@code v.mp4}.
     */
    private static long pidOf(String middle) {
        Matcher m = TEMP_MIDDLE.matcher(middle);
        if (!m.matches()) {
            return -1;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return -1; // more digits than a long
        }
    }
}
