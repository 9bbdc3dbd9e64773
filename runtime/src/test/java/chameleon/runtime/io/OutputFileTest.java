package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temporaries carry their writer's pid, and only those of dead writers of the same target are removed. */
class OutputFileTest {
    @TempDir
    Path dir;

    /** The pid of a process that has already exited (pids are not reused that quickly). */
    private static long deadPid() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void temporaryIsHiddenNamedAfterTheTargetAndThisProcess() throws IOException {
        Path temp = OutputFile.temporarySibling(dir.resolve("v.mp4"), ".part");
        assertEquals(dir, temp.getParent());
        assertTrue(temp.getFileName().toString().matches("\\.v\\.mp4\\." + ProcessHandle.current().pid()
                + "\\.[0-9]+\\.part"), temp.getFileName().toString());
    }

    @Test
    void removesOnlyTheStaleTemporariesOfItsOwnTarget() throws Exception {
        long dead = deadPid();
        Path target = dir.resolve("v.mp4");
        Path stale = Files.writeString(dir.resolve(".v.mp4." + dead + ".123.part"), "partial");
        Path mine = OutputFile.temporarySibling(target, ".part"); // this process is alive
        Path otherTarget = Files.writeString(dir.resolve(".v.mp4.5." + dead + ".123.part"), "x"); // target v.mp4.5
        Path otherSuffix = Files.writeString(dir.resolve(".v.mp4." + dead + ".123.tmp"), "x");
        Path unrelated = Files.writeString(dir.resolve(".v.mp4.notes.part"), "x");
        Path output = Files.writeString(target, "complete");

        assertEquals(List.of(stale), OutputFile.removeStale(target, ".part"));
        assertFalse(Files.exists(stale));
        for (Path kept : List.of(mine, otherTarget, otherSuffix, unrelated, output)) {
            assertTrue(Files.exists(kept), kept + " must be kept");
        }
        assertEquals(List.of(), OutputFile.removeStale(dir.resolve("missing/v.mp4"), ".part"), "absent folder");
    }

    @Test
    void openingAVideoWriterRemovesALeftoverOfADeadWriter() throws Exception {
        Path target = dir.resolve("v.mp4");
        Path stale = Files.writeString(dir.resolve(".v.mp4." + deadPid() + ".42.part"), "killed mid-video");
        Mp4VideoWriter.open(target).abort();
        assertFalse(Files.exists(stale));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }
}
