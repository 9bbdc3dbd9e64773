package chameleon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jcodec.api.FrameGrab;
import org.jcodec.common.io.FileChannelWrapper;
import org.jcodec.common.io.NIOUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate} on the embedded demo writes a playable MP4 with a garment switch; bad arguments are named. */
class GenerateCommandTest {
    @TempDir
    Path tmp;

    private record Result(int code, String out, String err) {
    }

    private Result run(String... args) {
        System.setProperty(DemoCheckpoint.DIR_PROPERTY, tmp.resolve("demo").toString());
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o), new PrintStream(e));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void demoWritesAPlayableMp4WithASwitch() throws Exception {
        Path video = tmp.resolve("v.mp4");
        Path frames = tmp.resolve("frames");
        Result r = run("generate", "--chunks", "5", "--out", video.toString(), "--frames", frames.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("RANDOM weights"), "the demo must say its weights are random");
        assertTrue(r.out().contains("chunk 1/5: 9 frames"), r.out());
        assertTrue(r.out().contains("chunk 2/5: 12 frames"), r.out());
        assertTrue(r.out().contains("chunk 4/5: 9 frames") && r.out().contains("garment switched"), r.out());
        // 9 + 12 + 12 + (switch: decoder restarts) 9 + 12
        try (FileChannelWrapper in = NIOUtils.readableChannel(video.toFile())) {
            FrameGrab grab = FrameGrab.createFrameGrab(in);
            assertEquals(54, grab.getVideoTrack().getMeta().getTotalFrames());
            assertEquals(160, grab.getNativeFrame().getWidth());
        }
        try (var list = Files.list(frames)) {
            assertEquals(54, list.count());
        }
        try (var list = Files.list(tmp)) {
            assertFalse(list.anyMatch(p -> p.getFileName().toString().endsWith(".part")), "no partial files left");
        }
    }

    @Test
    void badArgumentsAreNamedUsageErrors() {
        Result negative = run("generate", "--chunks", "-1");
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("--chunks must be at least 1, got -1"), negative.err());
        Result unknown = run("generate", "--chunks", "3", "--switch", "7:garment.png");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--switch chunk 7 is outside 2..3"), unknown.err());
        Result malformed = run("generate", "--switch", "garment.png");
        assertEquals(2, malformed.code());
        assertTrue(malformed.err().contains("--switch must be CHUNK:IMAGE"), malformed.err());
    }

    @Test
    void missingFilesAndUnwritableOutputAreFailures() throws Exception {
        Result missing = run("generate", "--chunks", "2", "--switch", "2:" + tmp.resolve("nope.png"),
                "--out", tmp.resolve("x.mp4").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.png"), missing.err());
        Path notAFolder = tmp.resolve("file.txt");
        Files.writeString(notAFolder, "x");
        Result unwritable = run("generate", "--chunks", "1", "--out", notAFolder.resolve("v.mp4").toString());
        assertEquals(1, unwritable.code());
        assertTrue(unwritable.err().contains("cannot create the output folder"), unwritable.err());
        Result noCheckpoint = run("generate", "--checkpoint", tmp.resolve("none").toString());
        assertEquals(1, noCheckpoint.code());
        assertTrue(noCheckpoint.err().contains("checkpoint folder not found"), noCheckpoint.err());
    }
}
