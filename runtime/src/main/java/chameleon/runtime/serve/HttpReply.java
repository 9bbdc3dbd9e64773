package chameleon.runtime.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writes one complete HTTP response: JSON bodies, error messages the page shows as they are, raw bytes. */
final class HttpReply {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpReply() {
    }

    static void json(HttpExchange exchange, int status, Object body) throws IOException {
        bytes(exchange, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    /** {@code {"error": message}}: every failure the page can show carries its reason in this one shape. */
    static void error(HttpExchange exchange, int status, String message) throws IOException {
        json(exchange, status, Map.of("error", message));
    }

    /** The same {@code {"error": message}} shape as a string, for a failure told inside an event stream. */
    static String errorJson(String message) {
        try {
            return JSON.writeValueAsString(Map.of("error", message));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void bytes(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (status == 204) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static void text(HttpExchange exchange, int status, String message) throws IOException {
        bytes(exchange, status, "text/plain; charset=utf-8", message.getBytes(StandardCharsets.UTF_8));
    }
}
