package chameleon.runtime.io;

import chameleon.runtime.Frames;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * An {@link Mp4VideoWriter} fed on its own thread, so H.264 encoding (jcodec is single-threaded: 3–6 frames
 * a second at 704×1280) overlaps generating the next chunk instead of adding to it.
 *
 * <p>{@link #append} queues a chunk and returns at once, unless {@value #MAX_QUEUED} chunks already wait
 * (then it waits for one to be encoded: memory stays bounded, ≈ 32 MB a 12-frame chunk at 704×1280). Chunks
 * are encoded in the order they were appended. {@link #close} waits for every queued chunk and then closes the
 * writer, which publishes the file atomically as before; an encoding failure is thrown by the next
 * {@code append} or by {@code close}, and leaves no file at the target (the writer aborts itself).
 * {@link #abort} drops the queued chunks and the partial file. One producer thread.
 */
public final class BackgroundVideoWriter implements AutoCloseable {
    /** Chunks that may wait for the encoder before {@link #append} blocks. */
    public static final int MAX_QUEUED = 3;

    private final Mp4VideoWriter writer;
    private final ExecutorService encoder;
    private final Semaphore slots = new Semaphore(MAX_QUEUED);
    private volatile RuntimeException failure;
    private volatile boolean dropping; // set by abort(): queued chunks are skipped
    private volatile long encodeNanos;  // written by the encoder thread only

    private BackgroundVideoWriter(Mp4VideoWriter writer) {
        this.writer = writer;
        this.encoder = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mp4-encoder " + writer.target().getFileName());
            t.setDaemon(true); // a producer that dies without close() must not keep the JVM alive
            return t;
        });
    }

    /** Opens an {@link Mp4VideoWriter} at 24 fps for {@code target} and its encoder thread. */
    public static BackgroundVideoWriter open(Path target) {
        return new BackgroundVideoWriter(Mp4VideoWriter.open(target));
    }

    /** Queues {@code frames} for encoding after the chunks already appended. */
    public void append(Frames frames) {
        throwFailure();
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new IllegalStateException("interrupted while waiting for the video encoder of " + writer.target());
        }
        encoder.execute(() -> {
            try {
                if (!dropping && failure == null) {
                    long t0 = System.nanoTime();
                    writer.append(frames);
                    encodeNanos += System.nanoTime() - t0;
                }
            } catch (RuntimeException e) {
                failure = e;
            } catch (Error e) {
                failure = new IllegalStateException("video encoder of " + writer.target() + " failed: " + e, e);
            } finally {
                slots.release();
            }
        });
    }

    /** Seconds the encoder thread has spent encoding so far (complete after {@link #close}). */
    public double encodeSeconds() {
        return encodeNanos / 1e9;
    }

    /** Frames encoded so far. */
    public int framesWritten() {
        return writer.framesWritten();
    }

    /** The file that {@link #close()} publishes. */
    public Path target() {
        return writer.target();
    }

    /**
     * Waits until every queued chunk is encoded, then finishes and publishes the file
     * ({@link Mp4VideoWriter#close()}).
     */
    @Override
    public void close() {
        drain();
        throwFailure();
        writer.close();
    }

    /** Drops the queued chunks, waits for the one being encoded, and discards the partial file. */
    public void abort() {
        dropping = true;
        drain();
        writer.abort();
    }

    private void drain() {
        encoder.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (encoder.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true; // finish waiting: the file must not be published or deleted mid-write
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void throwFailure() {
        RuntimeException e = failure;
        if (e != null) {
            writer.abort();
            throw e;
        }
    }
}
