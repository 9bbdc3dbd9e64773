package chameleon.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/sessions}: the live sessions of the tabs.
 * <ul>
 *   <li>{@code GET /api/sessions} → {@code {"active": n, "capacity": m, "notice": text}}</li>
 *   <li>{@code POST /api/sessions} {@code {"reference": id, "garment": id}} → 201 {@code {"id": ...}}, or
 *       503 when every slot is taken</li>
 *   <li>{@code GET /api/sessions/ID/stream} → the video as server-sent events ({@link LiveStream})</li>
 *   <li>{@code POST /api/sessions/ID/garment} {@code {"garment": id}} → 202, switch at the next chunk</li>
 *   <li>{@code POST /api/sessions/ID/close} → 204 (also sent by the page as a beacon when the tab closes)</li>
 * </ul>
 */
final class SessionsHandler implements HttpHandler {
    private final LiveSettings settings;
    private final ImageLibrary images;
    private final SessionSlots slots;

    SessionsHandler(LiveSettings settings, ImageLibrary images, SessionSlots slots) {
        this.settings = settings;
        this.images = images;
        this.slots = slots;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String[] parts = exchange.getRequestURI().getPath().replaceAll("^/api/sessions/?", "").split("/");
        try {
            if (parts.length == 1 && parts[0].isEmpty()) {
                switch (method) {
                    case "GET" -> HttpReply.json(exchange, 200, Map.of("active", slots.active(),
                            "capacity", slots.capacity(), "notice", settings.notice()));
                    case "POST" -> create(exchange);
                    default -> HttpReply.error(exchange, 405, method + " is not allowed here");
                }
                return;
            }
            if (parts.length != 2) {
                HttpReply.error(exchange, 404, "no such endpoint: " + exchange.getRequestURI().getPath());
                return;
            }
            Optional<LiveStream> stream = slots.get(parts[0]);
            String action = method + " " + parts[1];
            if (stream.isEmpty()) {
                if (action.equals("POST close")) {
                    HttpReply.bytes(exchange, 204, "text/plain", new byte[0]);   // closing twice is fine
                } else {
                    HttpReply.error(exchange, 404, "no live session " + parts[0] + " (it ended; press start again)");
                }
                return;
            }
            switch (action) {
                case "GET stream" -> stream(exchange, stream.get());
                case "POST garment" -> switchGarment(exchange, stream.get());
                case "POST close" -> {
                    slots.release(parts[0]);
                    HttpReply.bytes(exchange, 204, "text/plain", new byte[0]);
                }
                default -> HttpReply.error(exchange, 404, "no such endpoint: " + action);
            }
        } catch (RequestBody.TooLargeException e) {
            HttpReply.error(exchange, 413, e.getMessage());
        } catch (RequestBody.MalformedException | IllegalArgumentException e) {
            HttpReply.error(exchange, 400, e.getMessage());
        }
    }

    private void create(HttpExchange exchange) throws IOException, RequestBody.TooLargeException,
            RequestBody.MalformedException {
        byte[] body = RequestBody.read(exchange, RequestBody.JSON_LIMIT);
        ImageLibrary.Entry reference = photo(RequestBody.field(body, "reference"), ImageLibrary.Kind.REFERENCE);
        ImageLibrary.Entry garment = photo(RequestBody.field(body, "garment"), ImageLibrary.Kind.GARMENT);
        Optional<LiveStream> s = slots.reserve(id -> new LiveStream(id, settings, reference.image(), garment.image()));
        if (s.isEmpty()) {
            HttpReply.error(exchange, 503, "all " + slots.capacity() + " live sessions are in use; stop the video"
                    + " in another tab (or wait for one to end) and press start again");
            return;
        }
        HttpReply.json(exchange, 201, Map.of("id", s.get().id()));
    }

    private void switchGarment(HttpExchange exchange, LiveStream stream) throws IOException,
            RequestBody.TooLargeException, RequestBody.MalformedException {
        byte[] body = RequestBody.read(exchange, RequestBody.JSON_LIMIT);
        ImageLibrary.Entry garment = photo(RequestBody.field(body, "garment"), ImageLibrary.Kind.GARMENT);
        int request = stream.switchGarment(garment.image());
        HttpReply.json(exchange, 202, Map.of("pending", true, "garment", garment.id(), "request", request));
    }

    private void stream(HttpExchange exchange, LiveStream stream) throws IOException {
        if (!stream.claim()) {
            HttpReply.error(exchange, 409, "session " + stream.id() + " is already streaming to another listener");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(200, 0);
        try {
            stream.run(new EventStream(exchange.getResponseBody()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // The stream has started, so the failure can only be told as an event; the page shows it.
            new EventStream(exchange.getResponseBody()).send("failure", HttpReply.errorJson(
                    e.getClass().getSimpleName() + ": " + e.getMessage()));
        } finally {
            slots.ended(stream.id());
        }
    }

    private ImageLibrary.Entry photo(String id, ImageLibrary.Kind kind) throws RequestBody.MalformedException {
        ImageLibrary.Entry e = images.get(id).orElseThrow(() -> new RequestBody.MalformedException(
                "no " + kind.wire() + " photo \"" + id + "\" (uploads are forgotten after "
                        + ImageLibrary.MAX_UPLOADS + " newer ones)"));
        if (e.kind() != kind) {
            throw new RequestBody.MalformedException("\"" + id + "\" is a " + e.kind().wire() + " photo, not a "
                    + kind.wire());
        }
        return e;
    }
}
