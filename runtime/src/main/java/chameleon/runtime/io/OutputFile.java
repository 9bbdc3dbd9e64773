package chameleon.runtime.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/** Temporary files that become outputs by an atomic rename, so a reader never sees a partial file. */
public final class OutputFile {
    private OutputFile() {
    }

    /**
     * A new hidden file next to {@code target} ({@code .<name>…<suffix>}). {@code createTempFile} alone
     * makes it 0600; the finished output should be readable like any other file, so it is 0644.
     */
    public static Path temporarySibling(Path target, String suffix) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        FileAttribute<?>[] attrs = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))}
                : new FileAttribute<?>[0];
        return Files.createTempFile(dir, "." + target.getFileName(), suffix, attrs);
    }
}
