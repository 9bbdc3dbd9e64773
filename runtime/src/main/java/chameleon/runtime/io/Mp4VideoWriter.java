package chameleon.runtime.io;

import chameleon.runtime.Frames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jcodec.api.transcode.PixelStore;
import org.jcodec.api.transcode.SinkImpl;
import org.jcodec.api.transcode.VideoFrameWithPacket;
import org.jcodec.common.Codec;
import org.jcodec.common.Format;
import org.jcodec.common.io.FileChannelWrapper;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Packet;
import org.jcodec.common.model.Picture;

/**
 * Streams frames into an H.264 MP4 file, in pure Java (jcodec), chunk by chunk as a session produces
 * them: {@link #append} each {@link Frames}, then {@link #close} to write the index ({@code moov}) and
 * publish the file.
 *
 * <p>Atomic: frames go to a hidden temporary file next to the target, which is renamed onto the target
 * only by a successful {@code close()}. A writer that fails, is {@linkplain #abort() aborted}, or is
 * dropped without closing (its temporary file is then removed when it is garbage-collected) leaves no
 * file at the target name, and an older file there stays untouched. A JVM that dies mid-video leaves
 * only a hidden {@code .NAME.PID.…part} file behind, never a file at the target name; the next writer
 * opened for the same target deletes such leftovers of dead processes ({@link OutputFile#removeStale}).
 *
 * <p>The stream is H.264 Baseline (jcodec's encoder: I-frame every 25 frames, P-frames between, its
 * default quality), 4:2:0, BT.601 studio range, untagged: what ffmpeg makes of RGB frames in the
 * reference's {@code export_to_video}. jcodec's
 * {@code SequenceEncoder} is not used because its RGB conversion darkens every frame
 * (see {@link Bt601Yuv420}); the writer drives jcodec's {@code SinkImpl} with its own 4:2:0 pictures.
 *
 * <p>All frames must have one size, with even sides (4:2:0 chroma). Each call holds the writer's
 * monitor.
 */
public final class Mp4VideoWriter implements AutoCloseable {
    /** The frame rate of the reference's exported videos (and of Wan2.2 TI2V). */
    public static final int DEFAULT_FPS = 24;

    /** Suffix of the temporary file a video is written to before its rename. */
    static final String PART_SUFFIX = ".part";

    private static final Cleaner CLEANER = Cleaner.create();

    private enum State { OPEN, CLOSED, ABORTED }

    private final Path target;
    private final TempFile temp;
    private final Cleaner.Cleanable cleanup;
    private final int fps;
    private final SinkImpl sink;
    private Picture picture; // reused for every frame: the sink encodes synchronously
    private int width = -1;
    private int height = -1;
    private int framesWritten;
    private State state = State.OPEN;

    /** The temporary file and its channel; run (by abort or by the Cleaner) it closes and deletes both. */
    private record TempFile(Path path, FileChannel channel) implements Runnable {
        @Override
        public void run() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // deleting is what matters
            }
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // nothing more can be done for a temporary file
            }
        }
    }

    private Mp4VideoWriter(Path target, int fps) throws IOException {
        this.target = target;
        this.fps = fps;
        // A killed earlier run of this target left its partial video behind; nobody else will remove it.
        OutputFile.removeStale(target, PART_SUFFIX);
        Path path = OutputFile.temporarySibling(target, PART_SUFFIX);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
        } catch (IOException e) {
            Files.deleteIfExists(path);
            throw e;
        }
        this.temp = new TempFile(path, channel);
        this.cleanup = CLEANER.register(this, temp);
        try {
            this.sink = SinkImpl.createWithStream(new FileChannelWrapper(channel), Format.MOV, Codec.H264, null);
            sink.init();
            if (sink.getInputColor() != ColorSpace.YUV420J) {
                throw new IllegalStateException("jcodec's H.264 encoder wants " + sink.getInputColor()
                        + ", this writer makes 4:2:0 (YUV420J) pictures");
            }
        } catch (IOException | RuntimeException e) {
            cleanup.clean();
            throw e;
        }
    }

    /** A writer at {@link #DEFAULT_FPS} 24 fps. */
    public static Mp4VideoWriter open(Path target) {
        return open(target, DEFAULT_FPS);
    }

    /**
     * A writer for {@code target} (its folder must exist) at {@code fps} frames per second.
     *
     * @throws UncheckedIOException when the temporary file cannot be created
     */
    public static Mp4VideoWriter open(Path target, int fps) {
        if (fps <= 0) {
            throw new IllegalArgumentException("fps must be positive, got " + fps);
        }
        try {
            return new Mp4VideoWriter(target, fps);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start video " + target + ": " + e.getMessage(), e);
        }
    }

    /** The file that {@link #close()} publishes. */
    public Path target() {
        return target;
    }

    /** Frames encoded so far. */
    public synchronized int framesWritten() {
        return framesWritten;
    }

    /**
     * Encodes {@code frames} after those already appended.
     *
     * @throws IllegalArgumentException when the size differs from the first chunk's or a side is odd (the
     *     writer stays usable)
     * @throws UncheckedIOException when encoding or writing fails (the writer is then aborted)
     */
    public synchronized void append(Frames frames) {
        requireOpen();
        if (width < 0) {
            if (frames.width() % 2 != 0 || frames.height() % 2 != 0) {
                throw new IllegalArgumentException("video frames need even sides for 4:2:0 chroma, got "
                        + frames.width() + "x" + frames.height());
            }
            width = frames.width();
            height = frames.height();
            // jcodec's 4:2:0 type for the H.264 encoder; the samples are BT.601 studio range all the same
            picture = Picture.create(width, height, ColorSpace.YUV420J);
        } else if (frames.width() != width || frames.height() != height) {
            throw new IllegalArgumentException("frames are " + frames.width() + "x" + frames.height()
                    + ", this video is " + width + "x" + height);
        }
        try {
            for (int i = 0; i < frames.count(); i++) {
                Bt601Yuv420.convert(frames, i, picture);
                // pts = frame number in a timescale of fps ticks per second, one tick per frame
                Packet packet = Packet.createPacket(null, framesWritten, fps, 1, framesWritten,
                        Packet.FrameType.KEY, null);
                sink.outputVideoFrame(new VideoFrameWithPacket(packet, new PixelStore.LoanerPicture(picture, 0)));
                framesWritten++;
            }
        } catch (IOException e) {
            abort();
            throw new UncheckedIOException("cannot write video " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
    }

    /**
     * Finishes the MP4, flushes it to disk and renames it onto the target. Does nothing after a previous
     * close or an abort.
     *
     * @throws IllegalStateException when no frame was appended (nothing is written)
     * @throws UncheckedIOException when finishing fails (the writer is then aborted)
     */
    @Override
    public synchronized void close() {
        if (state != State.OPEN) {
            return;
        }
        if (framesWritten == 0) {
            abort();
            throw new IllegalStateException("no frames were appended to " + target + "; nothing written");
        }
        try {
            sink.finish();
            if (temp.channel().isOpen()) {
                temp.channel().force(true);
                temp.channel().close();
            } else {
                try (FileChannel again = FileChannel.open(temp.path(), StandardOpenOption.WRITE)) {
                    again.force(true);
                }
            }
            Files.move(temp.path(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            state = State.CLOSED;
            cleanup.clean(); // the temporary name is gone; this only closes what is still open
        } catch (IOException e) {
            abort();
            throw new UncheckedIOException("cannot finish video " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Discards everything written so far: no file is left at the target name or the temporary one. */
    public synchronized void abort() {
        if (state == State.OPEN) {
            state = State.ABORTED;
            cleanup.clean();
        }
    }

    private void requireOpen() {
        if (state != State.OPEN) {
            throw new IllegalStateException("video writer for " + target + " is " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

}
