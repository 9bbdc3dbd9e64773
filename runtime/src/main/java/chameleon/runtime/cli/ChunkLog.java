package chameleon.runtime.cli;

import chameleon.runtime.ChunkTiming;
import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code generate}'s timing report: one line per chunk (its seconds split into DiT, VAE decode and any
 * switch), then seconds per chunk with the first chunk apart (it includes JIT compilation, the device's
 * kernel builds and weight uploads) from the mean of the later ones, which is the steady speed.
 */
final class ChunkLog {
    private final int chunks;
    private final PrintStream out;
    private final long start = System.nanoTime(); // before the session opens: running FPS counts its setup too
    private int frames;
    private double firstSeconds;
    private int laterChunks;
    private int laterFrames;
    private double laterSeconds;
    private double laterDit;
    private double laterDecode;
    private double laterSwitch;

    ChunkLog(int chunks, PrintStream out) {
        this.chunks = chunks;
        this.out = out;
    }

    /** Frames reported so far. */
    int frames() {
        return frames;
    }

    void sessionOpened() {
        out.printf(Locale.ROOT, "session opened in %.2f s (VAE encode of person and garment, conditioning prefill: the"
                + " first DiT forward, JIT and weight upload included)%n", (System.nanoTime() - start) / 1e9);
    }

    /**
     * @param seconds  wall time of the whole {@code nextChunk()}, conversion to 8-bit frames included
     * @param timing   the session's split of it
     * @param switched a garment switch took effect at this chunk
     */
    void chunk(int c, int count, double seconds, ChunkTiming timing, boolean switched) {
        frames += count;
        double total = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "chunk %d/%d: %d frames in %.2f s (DiT %.2f s, VAE decode %.2f s%s), running %.2f FPS%s%s%n",
                c, chunks, count, seconds, timing.ditSeconds(), timing.decodeSeconds(),
                switched ? String.format(Locale.ROOT, ", switch %.2f s",
                        timing.conditioningSeconds()) : "",
                frames / total, switched ? ", garment switched" : "", c == 1 ? " (first chunk: JIT included)" : "");
        if (c == 1) {
            firstSeconds = seconds;
        } else {
            laterChunks++;
            laterFrames += count;
            laterSeconds += seconds;
            laterDit += timing.ditSeconds();
            laterDecode += timing.decodeSeconds();
            laterSwitch += timing.conditioningSeconds();
        }
    }

    void summary() {
        if (laterChunks == 0) {
            out.printf(Locale.ROOT, "seconds per chunk: %.2f (one chunk, JIT included)%n", firstSeconds);
            return;
        }
        out.printf(Locale.ROOT, "seconds per chunk: first %.2f (JIT included); %s: mean %.2f = DiT %.2f"
                        + " + VAE decode %.2f%s; %.2f FPS (DiT alone %.2f FPS)%n", firstSeconds,
                chunks == 2 ? "chunk 2" : "chunks 2-" + chunks,
                laterSeconds / laterChunks, laterDit / laterChunks, laterDecode / laterChunks,
                laterSwitch > 0 ? String.format(Locale.ROOT, " + switches %.2f", laterSwitch / laterChunks) : "",
                laterFrames / laterSeconds, laterFrames / laterDit);
    }
}
