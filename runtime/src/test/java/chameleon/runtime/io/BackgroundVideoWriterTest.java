package chameleon.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.Frames;
import chameleon.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.jcodec.api.FrameGrab;
import org.jcodec.common.io.FileChannelWrapper;
import org.jcodec.common.io.NIOUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encoding on its own thread: every chunk written in order, the file published only by close, failures surface. */
class BackgroundVideoWriterTest {
    @TempDir
    Path dir;

    /** {@code count} frames of one grey level per frame, {@code w}×32. */
    private static Frames frames(int from, int count, int w) {
        float[] v = new float[3 * count * 32 * w];
        for (int f = 0; f < count; f++) {
            float level = ((from + f) % 16) / 8f - 1;
            for (int c = 0; c < 3; c++) {
                java.util.Arrays.fill(v, (c * count + f) * 32 * w, (c * count + f + 1) * 32 * w, level);
            }
        }
        return Frames.fromPixels(Tensor.of(v, 3, count, 32, w));
    }

    @Test
    void writesEveryQueuedChunkAndPublishesOnClose() throws Exception {
        Path target = dir.resolve("v.mp4");
        BackgroundVideoWriter video = BackgroundVideoWriter.open(target);
        int frames = 0;
        for (int c = 0; c < 2 * BackgroundVideoWriter.MAX_QUEUED + 1; c++) { // more chunks than the queue holds
            int n = c == 0 ? 9 : 12;
            video.append(frames(frames, n, 48));
            frames += n;
        }
        assertFalse(Files.exists(target), "nothing at the target before close");
        video.close();
        assertEquals(frames, video.framesWritten());
        try (FileChannelWrapper in = NIOUtils.readableChannel(target.toFile())) {
            assertEquals(frames, FrameGrab.createFrameGrab(in).getVideoTrack().getMeta().getTotalFrames());
        }
        assertTrue(video.encodeSeconds() > 0);
        assertNoPartFiles();
    }

    @Test
    void anEncodingFailureSurfacesAndLeavesNoFile() throws Exception {
        Path target = dir.resolve("bad.mp4");
        Files.writeString(target, "older video");
        BackgroundVideoWriter video = BackgroundVideoWriter.open(target);
        video.append(frames(0, 9, 48));
        video.append(frames(9, 12, 64)); // another size: the encoder thread's append fails
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, video::close);
        assertTrue(e.getMessage().contains("64x32"), e.getMessage());
        assertEquals("older video", Files.readString(target), "the older file stays untouched");
        assertNoPartFiles();
    }

    @Test
    void abortDropsEverything() throws Exception {
        Path target = dir.resolve("aborted.mp4");
        BackgroundVideoWriter video = BackgroundVideoWriter.open(target);
        video.append(frames(0, 9, 48));
        video.abort();
        assertFalse(Files.exists(target));
        assertNoPartFiles();
    }

    private void assertNoPartFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".part")), "no partial files left");
        }
    }
}
