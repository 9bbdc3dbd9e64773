package chameleon.runtime.serve;

import chameleon.runtime.io.ImageInputException;
import chameleon.runtime.io.ImageLoader;
import chameleon.runtime.io.RgbImage;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/images}: the photos to choose from.
 * <ul>
 *   <li>{@code GET /api/images} → {@code [{"id", "kind", "name"}...]}, demo images first</li>
 *   <li>{@code GET /api/images/ID} → the thumbnail (PNG)</li>
 *   <li>{@code POST /api/images?kind=reference|garment&name=FILE} with the image file as the raw body →
 *       201 {@code {"id", "kind", "name"}}; 400 with the reason when it is not a usable image, 413 when
 *       it is over the upload limit (refused before the body is read whole)</li>
 * </ul>
 */
final class ImagesHandler implements HttpHandler {
    private final ImageLibrary images;
    private final long uploadLimit;

    ImagesHandler(ImageLibrary images, long uploadLimit) {
        this.images = images;
        this.uploadLimit = uploadLimit;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String rest = exchange.getRequestURI().getPath().replaceAll("^/api/images/?", "");
        String method = exchange.getRequestMethod();
        if (rest.isEmpty() && method.equals("GET")) {
            List<Map<String, String>> list = images.list().stream().map(ImagesHandler::describe).toList();
            HttpReply.json(exchange, 200, list);
        } else if (rest.isEmpty() && method.equals("POST")) {
            upload(exchange);
        } else if (!rest.contains("/") && method.equals("GET")) {
            Optional<ImageLibrary.Entry> e = images.get(rest);
            if (e.isPresent()) {
                HttpReply.bytes(exchange, 200, "image/png", e.get().thumbnailPng());
            } else {
                HttpReply.error(exchange, 404, "no image " + rest);
            }
        } else {
            HttpReply.error(exchange, 404, "no such endpoint: " + method + " " + exchange.getRequestURI().getPath());
        }
    }

    private void upload(HttpExchange exchange) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        Optional<ImageLibrary.Kind> kind = ImageLibrary.Kind.parse(query.get("kind"));
        if (kind.isEmpty()) {
            HttpReply.error(exchange, 400, "upload needs ?kind=reference or ?kind=garment");
            return;
        }
        String name = query.getOrDefault("name", "upload");
        byte[] body;
        try {
            body = RequestBody.read(exchange, uploadLimit);
        } catch (RequestBody.TooLargeException e) {
            HttpReply.error(exchange, 413, name + ": " + e.getMessage());
            return;
        }
        RgbImage image;
        try {
            image = ImageLoader.read(body, name);
        } catch (ImageInputException e) {
            HttpReply.error(exchange, 400, e.getMessage());
            return;
        }
        HttpReply.json(exchange, 201, describe(images.add(kind.get(), name, image)));
    }

    private static Map<String, String> describe(ImageLibrary.Entry e) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("kind", e.kind().wire());
        m.put("name", e.name());
        return m;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw == null) {
            return m;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                m.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return m;
    }
}
