package chameleon.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** Serves the page itself: {@code index.html}, {@code app.js} and {@code style.css}, from class-path resources. */
final class PageHandler implements HttpHandler {
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/app.js", "app.js",
            "/style.css", "style.css");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8");

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String file = FILES.get(exchange.getRequestURI().getPath());
        if (file == null || !exchange.getRequestMethod().equals("GET")) {
            HttpReply.text(exchange, 404, "not found: " + exchange.getRequestURI().getPath());
            return;
        }
        byte[] body;
        try (InputStream in = PageHandler.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("page resource " + file + " is missing from the build");
            }
            body = in.readAllBytes();
        }
        HttpReply.bytes(exchange, 200, TYPES.get(file.substring(file.lastIndexOf('.') + 1)), body);
    }
}
