package chameleon.runtime.serve;

import chameleon.runtime.Engine;
import chameleon.runtime.SessionOptions;
import chameleon.runtime.io.FrameSize;
import chameleon.runtime.PreparedPrompt;

/**
 * What every live session of one server shares.
 *
 * @param engine       the loaded checkpoint; sessions are opened on it and it outlives them
 * @param options      session options, the video size included
 * @param prompt       the prompt every session starts with (the page may switch it); text prompts need an
 *                     engine with a text encoder
 * @param seed         noise seed of every session (same photos, same video)
 * @param maxSessions  live sessions at once; one more is refused with HTTP 503
 * @param uploadLimit  largest accepted upload, in bytes
 * @param notice       a line the page shows about the model (the demo says its weights are random), or ""
 */
public record LiveSettings(Engine engine, SessionOptions options, PreparedPrompt prompt, long seed, int maxSessions,
                           long uploadLimit, String notice) {
    /** Default upload limit: a phone photo fits, a stray video does not. */
    public static final long DEFAULT_UPLOAD_LIMIT = 10_000_000L;

    public LiveSettings {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1, got " + maxSessions);
        }
        if (uploadLimit < 1) {
            throw new IllegalArgumentException("uploadLimit must be positive, got " + uploadLimit);
        }
        notice = notice == null ? "" : notice;
    }

    /** The video size, as the image preparation wants it. */
    public FrameSize size() {
        return new FrameSize(options.width(), options.height());
    }
}
