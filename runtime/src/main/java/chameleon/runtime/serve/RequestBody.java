package chameleon.runtime.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body with a size limit enforced before and while reading: a declared
 * {@code Content-Length} over the limit is refused unread, and a chunked body is cut off one byte past
 * the limit, so an oversized upload never sits whole in memory.
 */
final class RequestBody {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** JSON commands are a few ids; anything bigger is not from our page. */
    static final int JSON_LIMIT = 16 * 1024;
    /** An oversized body is read and thrown away up to this size so its sender sees the answer. */
    static final long DISCARD_LIMIT = 256L * 1024 * 1024;

    private RequestBody() {
    }

    /** The body did not fit the limit; maps to HTTP 413. */
    static final class TooLargeException extends Exception {
        TooLargeException(String message) {
            super(message);
        }
    }

    /** A body that is not what the endpoint expects (malformed JSON, missing field); maps to HTTP 400. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    /**
     * The body, at most {@code limit} bytes.
     *
     * @throws TooLargeException when it is longer; the rest of the body has then been skipped unstored
     *         (up to {@link #DISCARD_LIMIT}) so the client, still sending, gets to read the 413 answer
     *         instead of a broken connection
     */
    static byte[] read(HttpExchange exchange, long limit) throws IOException, TooLargeException {
        long length = declaredLength(exchange);
        try (InputStream in = exchange.getRequestBody()) {
            if (length > limit) {
                discard(in);
                throw tooLarge(length, limit);
            }
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                discard(in);
                throw tooLarge(-1, limit);
            }
            return body;
        }
    }

    private static long declaredLength(HttpExchange exchange) {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared == null) {
            return -1;
        }
        try {
            return Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Reads and drops what is left, in small pieces; past the cap the connection is simply closed. */
    private static void discard(InputStream in) throws IOException {
        byte[] sink = new byte[64 * 1024];
        long skipped = 0;
        int n;
        while (skipped < DISCARD_LIMIT && (n = in.read(sink)) > 0) {
            skipped += n;
        }
    }

    /** The string field {@code name} of a JSON object body. */
    static String field(byte[] body, String name) throws MalformedException {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (IOException e) {
            throw new MalformedException("request body is not JSON: " + e.getMessage());
        }
        if (node == null || !node.path(name).isTextual()) {
            throw new MalformedException("request body needs a string field \"" + name + "\"");
        }
        return node.path(name).asText();
    }

    /** The string field {@code name} of a JSON object body, or null when the body has no such field. */
    static String optionalField(byte[] body, String name) throws MalformedException {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (IOException e) {
            throw new MalformedException("request body is not JSON: " + e.getMessage());
        }
        if (node == null || node.path(name).isMissingNode() || node.path(name).isNull()) {
            return null;
        }
        if (!node.path(name).isTextual()) {
            throw new MalformedException("field \"" + name + "\" must be a string");
        }
        return node.path(name).asText();
    }

    private static TooLargeException tooLarge(long length, long limit) {
        String size = length >= 0 ? String.format("%.1f MB", length / 1e6) : "more than the limit";
        return new TooLargeException("upload is too large (" + size + "); the limit is "
                + String.format("%.1f MB", limit / 1e6));
    }
}
