package chameleon.runtime.serve;

import chameleon.runtime.PreparedPrompt;
import chameleon.runtime.PromptEncoder;
import chameleon.text.TokenizerException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/sessions}: the live sessions of the tabs.
 * <ul>
 *   <li>{@code GET /api/sessions} → {@code {"active": n, "capacity": m, "notice": text, "textPrompts": bool,
 *       "textLen": n, "prompt": text}} (the opening prompt's text, or "" when it is an embedding)</li>
 *   <li>{@code POST /api/sessions} {@code {"reference": id, "garment": id, "prompt": text?}} → 201
 *       {@code {"id": ...}}, or 503 when every slot is taken</li>
 *   <li>{@code GET /api/sessions/ID/stream} → the video as server-sent events ({@link LiveStream})</li>
 *   <li>{@code POST /api/sessions/ID/garment} {@code {"garment": id}} → 202, switch at the next chunk</li>
 *   <li>{@code POST /api/sessions/ID/prompt} {@code {"prompt": text}} → 202 {@code {"request": n, "prompt": text,
 *       "tokens": n, "kept": n, "truncated": bool, "textLen": n}}: encoded now (or taken from the engine's
 *       cache), in effect from the next chunk; 409 when the server has no text encoder</li>
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
                            "capacity", slots.capacity(), "notice", settings.notice(),
                            "textPrompts", settings.engine().hasTextEncoder(), "textLen", settings.engine().textLen(),
                            "prompt", settings.prompt().text() == null ? "" : settings.prompt().text()));
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
                case "POST prompt" -> switchPrompt(exchange, stream.get());
                case "POST close" -> {
                    slots.release(parts[0]);
                    HttpReply.bytes(exchange, 204, "text/plain", new byte[0]);
                }
                default -> HttpReply.error(exchange, 404, "no such endpoint: " + action);
            }
        } catch (RequestBody.TooLargeException e) {
            HttpReply.error(exchange, 413, e.getMessage());
        } catch (NoTextEncoderException e) {
            HttpReply.error(exchange, 409, e.getMessage());
        } catch (RequestBody.MalformedException | IllegalArgumentException e) {
            HttpReply.error(exchange, 400, e.getMessage());
        }
    }

    private void create(HttpExchange exchange) throws IOException, RequestBody.TooLargeException,
            RequestBody.MalformedException, NoTextEncoderException {
        byte[] body = RequestBody.read(exchange, RequestBody.JSON_LIMIT);
        ImageLibrary.Entry reference = photo(RequestBody.field(body, "reference"), ImageLibrary.Kind.REFERENCE);
        ImageLibrary.Entry garment = photo(RequestBody.field(body, "garment"), ImageLibrary.Kind.GARMENT);
        String text = RequestBody.optionalField(body, "prompt");
        PreparedPrompt prompt = text == null ? null : prepare(text);
        Optional<LiveStream> s = slots.reserve(id -> new LiveStream(id, settings, reference.image(), garment.image()));
        if (s.isEmpty()) {
            HttpReply.error(exchange, 503, "all " + slots.capacity() + " live sessions are in use; stop the video"
                    + " in another tab (or wait for one to end) and press start again");
            return;
        }
        if (prompt != null) {
            s.get().switchPrompt(prompt); // not streaming yet: becomes the opening prompt
        }
        HttpReply.json(exchange, 201, Map.of("id", s.get().id()));
    }

    private void switchPrompt(HttpExchange exchange, LiveStream stream) throws IOException,
            RequestBody.TooLargeException, RequestBody.MalformedException, NoTextEncoderException {
        byte[] body = RequestBody.read(exchange, RequestBody.JSON_LIMIT);
        PreparedPrompt prompt = prepare(RequestBody.field(body, "prompt"));
        int request = stream.switchPrompt(prompt);
        HttpReply.json(exchange, 202, Map.of("request", request, "prompt", prompt.text(), "tokens", prompt.tokens(),
                "kept", prompt.kept(), "truncated", prompt.truncated(), "textLen", settings.engine().textLen()));
    }

    /**
     * The engine's prepared prompt of {@code text} (encoded now, or from its cache). Text longer than the
     * text length is truncated exactly as Wan's pipeline truncates it, never refused: the reply and the
     * chunk events say so.
     */
    private PreparedPrompt prepare(String text) throws NoTextEncoderException, RequestBody.MalformedException {
        if (!settings.engine().hasTextEncoder()) {
            throw new NoTextEncoderException();
        }
        try {
            return settings.engine().prompt(text);
        } catch (TokenizerException e) {
            throw new RequestBody.MalformedException("the tokenizer refused the prompt: " + e.getMessage());
        }
    }

    /** The server was started without a text encoder; maps to HTTP 409. */
    private static final class NoTextEncoderException extends Exception {
        NoTextEncoderException() {
            super("this server has no text encoder, so it cannot take text prompts: start serve with --t5 PATH"
                    + " --tokenizer DIR, or a --checkpoint holding " + PromptEncoder.T5_CHECKPOINT + " and "
                    + PromptEncoder.TOKENIZER_DIR + "/");
        }
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
