package chameleon.runtime.serve;

import chameleon.runtime.Frames;
import chameleon.runtime.PreparedPrompt;
import chameleon.runtime.Session;
import chameleon.runtime.io.ConditioningImage;
import chameleon.runtime.io.RgbImage;
import chameleon.tensor.Tensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * One browser tab's video: reserved when the page presses start, streamed (frames as base64 JPEG
 * server-sent events, then one {@code chunk} event with the timings) while the tab listens, and ended —
 * its {@link Session} closed, its KV cache freed — when the tab stops, closes or drops the connection.
 *
 * <p>A garment switch (or a prompt switch) is queued here rather than handed straight to {@link Session#switchGarment}: the
 * session's methods share one lock with {@link Session#nextChunk()}, so the request would otherwise wait
 * for the chunk in progress. The queue is drained at the chunk boundary, which is where the session
 * applies switches anyway.
 */
final class LiveStream {
    /** Playback rate of the page (and of the MP4s the CLI writes). */
    static final int FPS = 24;
    /** How far generation may run ahead of playback; bounds the frames queued in the page. */
    private static final double LEAD_SECONDS = 1.0;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final LiveSettings settings;
    private final RgbImage reference;
    private final long reservedNanos = System.nanoTime();
    private Tensor openingGarment;
    private boolean claimed;
    private volatile boolean stopped;
    // Guarded by this: the newest switch request not yet handed to the session, and the count of switch
    // requests made and applied, so the page can tell which of its clicks a chunk already shows.
    private Tensor requestedGarment;
    private int switchesRequested;
    private int switchesApplied;
    // Likewise for prompts: the opening prompt until streaming starts, then the newest request.
    private PreparedPrompt openingPrompt;
    private PreparedPrompt requestedPrompt;
    private int promptsRequested;
    private int promptsApplied;

    LiveStream(String id, LiveSettings settings, RgbImage reference, RgbImage garment) {
        this.id = id;
        this.settings = settings;
        this.reference = reference;
        this.openingGarment = ConditioningImage.garment(garment, settings.size()).toTensor();
        this.openingPrompt = settings.prompt();
    }

    String id() {
        return id;
    }

    /** Nanoseconds since {@link System#nanoTime()} origin at which the page reserved this stream. */
    long reservedNanos() {
        return reservedNanos;
    }

    /** Marks the stream as listened to; false if a listener already has it (one stream per session). */
    synchronized boolean claim() {
        if (claimed) {
            return false;
        }
        claimed = true;
        return true;
    }

    synchronized boolean claimed() {
        return claimed;
    }

    /**
     * Asks for {@code garment} from the next chunk on. Before streaming starts it simply replaces the
     * opening garment. A later request before the boundary replaces this one, as in {@link Session}.
     *
     * @return the request's number: the switch has taken effect once a chunk event reports
     *         {@code switchesApplied} at least this
     */
    int switchGarment(RgbImage garment) {
        Tensor t = ConditioningImage.garment(garment, settings.size()).toTensor();
        synchronized (this) {
            if (claimed) {
                requestedGarment = t;
            } else {
                openingGarment = t;
            }
            return ++switchesRequested;
        }
    }

    /**
     * Asks for {@code prompt} from the next chunk on, like {@link #switchGarment}; before streaming starts
     * it replaces the opening prompt.
     *
     * @return the request's number: in effect once a chunk event reports {@code promptsApplied} at least this
     */
    synchronized int switchPrompt(PreparedPrompt prompt) {
        if (claimed) {
            requestedPrompt = prompt;
        } else {
            openingPrompt = prompt;
        }
        return ++promptsRequested;
    }

    /** Hands waiting switch requests, if any, to the session (called at a chunk boundary). */
    private synchronized void applyRequestedSwitch(Session session) {
        if (requestedGarment != null) {
            session.switchGarment(requestedGarment);
            requestedGarment = null;
            switchesApplied = switchesRequested;
        }
        if (requestedPrompt != null) {
            session.switchPrompt(requestedPrompt);
            requestedPrompt = null;
            promptsApplied = promptsRequested;
        }
    }

    /** Ends the stream after the chunk in progress. */
    void stop() {
        stopped = true;
    }

    /**
     * Opens the session and streams chunks until {@link #stop()} or a failed write (the tab is gone).
     * The session is closed on every way out.
     */
    void run(EventStream events) throws IOException, InterruptedException {
        Tensor garment;
        PreparedPrompt prompt;
        synchronized (this) {
            garment = openingGarment;
            openingGarment = null;
            switchesApplied = switchesRequested;
            prompt = openingPrompt;
            openingPrompt = null;
            promptsApplied = promptsRequested;
        }
        Tensor ref = ConditioningImage.reference(reference, settings.size()).toTensor();
        try (Session session = settings.engine().openSession(ref, garment, prompt, settings.seed(),
                settings.options())) {
            events.send("ready", JSON.writeValueAsString(Map.of("session", id, "width", settings.options().width(),
                    "height", settings.options().height(), "fps", FPS)));
            long generatingNanos = 0;
            long framesMade = 0;
            long playEnd = System.nanoTime();
            while (!stopped) {
                applyRequestedSwitch(session);
                long t0 = System.nanoTime();
                Frames frames = session.nextChunk();
                long spent = System.nanoTime() - t0;
                generatingNanos += spent;
                framesMade += frames.count();
                for (int i = 0; i < frames.count(); i++) {
                    events.send("frame", jpegBase64(frames, i));
                }
                Map<String, Object> chunk = new LinkedHashMap<>();
                chunk.put("chunk", session.chunksProduced());
                chunk.put("frames", frames.count());
                chunk.put("secondsPerChunk", spent / 1e9);
                chunk.put("fps", framesMade / (generatingNanos / 1e9));
                // Session counts chunks from 0; the page, like the CLI, from 1.
                chunk.put("switchChunk", session.lastSwitchChunk() < 0 ? null : session.lastSwitchChunk() + 1);
                PreparedPrompt active = session.prompt();
                chunk.put("prompt", active.label());
                chunk.put("promptIsText", active.text() != null);
                chunk.put("promptTokens", active.tokens());
                chunk.put("promptKept", active.kept());
                chunk.put("promptTruncated", active.truncated());
                chunk.put("promptChunk", Math.max(session.lastPromptChunk(), 0) + 1); // 1: the opening prompt
                synchronized (this) {
                    chunk.put("switchesApplied", switchesApplied);
                    chunk.put("pending", switchesApplied < switchesRequested);
                    chunk.put("promptsApplied", promptsApplied);
                    chunk.put("promptPending", promptsApplied < promptsRequested);
                }
                events.send("chunk", JSON.writeValueAsString(chunk));
                playEnd = Math.max(playEnd, System.nanoTime()) + frames.count() * 1_000_000_000L / FPS;
                waitForPlayback(playEnd);
            }
            events.send("stopped", "{}");
        }
    }

    /** Sleeps (in short steps, to notice a stop) until playback is within the lead of what was sent. */
    private void waitForPlayback(long playEnd) throws InterruptedException {
        long lead = (long) (LEAD_SECONDS * 1e9);
        while (!stopped && playEnd - System.nanoTime() > lead) {
            Thread.sleep(Math.min(100, (playEnd - System.nanoTime() - lead) / 1_000_000 + 1));
        }
    }

    private static String jpegBase64(Frames frames, int i) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(frames.image(i), "jpg", out)) {
            throw new IOException("no JPEG writer in this JRE");
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
