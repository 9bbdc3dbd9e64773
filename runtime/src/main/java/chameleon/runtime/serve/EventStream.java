package chameleon.runtime.serve;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A server-sent-events response body ({@code text/event-stream}). Each event is flushed at once so the
 * page sees frames as they are made; a write to a tab that went away fails with {@link IOException},
 * which is how the server learns to end that tab's session.
 */
final class EventStream {
    private final OutputStream out;

    EventStream(OutputStream out) {
        this.out = out;
    }

    /** One event; {@code data} must be a single line (JSON or base64 are). */
    void send(String event, String data) throws IOException {
        out.write(("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
