package chameleon.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one handler so that nothing a request does can take the server down: any exception or error is
 * answered with HTTP 500 and its message (when the response has not started yet) and logged, and the
 * exchange is always closed.
 */
final class GuardedHandler implements HttpHandler {
    private static final Logger LOG = Logger.getLogger(GuardedHandler.class.getName());
    private final HttpHandler delegate;

    GuardedHandler(HttpHandler delegate) {
        this.delegate = delegate;
    }

    @Override
    public void handle(HttpExchange exchange) {
        try {
            delegate.handle(exchange);
        } catch (IOException e) {
            // The client went away mid-response: nothing to answer.
            LOG.log(Level.FINE, "client gone: " + exchange.getRequestURI(), e);
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "request failed: " + exchange.getRequestMethod() + " " + exchange.getRequestURI(), t);
            if (exchange.getResponseCode() == -1) {
                try {
                    HttpReply.error(exchange, 500, "server error: " + t.getClass().getSimpleName()
                            + (t.getMessage() != null ? ": " + t.getMessage() : ""));
                } catch (IOException | RuntimeException ignored) {
                    // The response could not be written either; closing the exchange below is all that is left.
                }
            }
        } finally {
            exchange.close();
        }
    }
}
