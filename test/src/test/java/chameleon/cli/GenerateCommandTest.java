package chameleon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    @Test
    void randomWeightsRunASessionInMemoryAndPrintEveryTiming() throws Exception {
        Path video = tmp.resolve("random.mp4");
        Result r = run("generate", "--random-weights", "tiny", "--chunks", "5", "--out", video.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("RANDOM weights built in memory"), r.out());
        assertTrue(r.out().contains("backend: cpu (Java Vector API"), r.out());
        assertTrue(r.out().contains("heap needed about"), r.out());
        assertTrue(r.out().contains("random prompt embedding [16, 64]"), r.out());
        assertTrue(r.out().matches("(?s).*chunk 1/5: 9 frames in [0-9.]+ s \\(DiT [0-9.]+ s, VAE decode [0-9.]+ s\\).*"
                + "\\(first chunk: JIT included\\).*"), r.out());
        assertTrue(r.out().matches("(?s).*chunk 4/5: 9 frames in [0-9.]+ s \\(DiT [0-9.]+ s, VAE decode [0-9.]+ s,"
                + " switch [0-9.]+ s\\), running [0-9.]+ FPS, garment switched.*"), r.out());
        assertTrue(r.out().contains("seconds per chunk: first "), r.out());
        assertTrue(r.out().contains("DiT alone"), r.out());
        try (FileChannelWrapper in = NIOUtils.readableChannel(video.toFile())) {
            assertEquals(54, FrameGrab.createFrameGrab(in).getVideoTrack().getMeta().getTotalFrames());
        }
        assertFalse(Files.exists(tmp.resolve("demo")), "random weights write no demo checkpoint");
    }

    @Test
    void noVideoWritesNothing() throws Exception {
        Path frames = tmp.resolve("frames");
        Result r = run("generate", "--random-weights", "tiny", "--chunks", "2", "--no-video", "--frames", frames.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--no-video: 18 frames generated, 160x256 (1 switch), none written"), r.out());
        try (var list = Files.list(frames)) {
            assertEquals(18, list.count(), "--frames still writes PNGs"); // 9, then the switch at chunk 2: 9
        }
    }

    @Test
    void randomWeightsBadInputsAreNamed() {
        Result unknown = run("generate", "--random-weights", "wan2.1");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("no random model \"wan2.1\"; there are: wan2.2-ti2v-5b, tiny"), unknown.err());
        Result both = run("generate", "--random-weights", "tiny", "--checkpoint", tmp.toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--checkpoint DIR or --random-weights NAME, not both"), both.err());
        Result outAndNoVideo = run("generate", "--random-weights", "tiny", "--no-video", "--out", "x.mp4");
        assertEquals(2, outAndNoVideo.code());
        assertTrue(outAndNoVideo.err().contains("--no-video writes no video"), outAndNoVideo.err());
    }

    @Test
    void theRealShapeRefusesASmallHeapNamingXmx() {
        // never build the 13 GB in a test: only where this JVM's heap is below the estimate (tests run at -Xmx6g)
        assumeTrue(Runtime.getRuntime().maxMemory() < 30L << 30, "heap too large for this test");
        Result r = run("generate", "--random-weights", "wan2.2-ti2v-5b", "--chunks", "7", "--no-video");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("needs about 34.8 GiB of Java heap"), r.err());
        assertTrue(r.err().contains("run it with -Xmx39g"), r.err());
        assertTrue(r.out().contains("DiT 5.00 B parameters BF16, VAE 704.7 M F32"), r.out());
    }
}
