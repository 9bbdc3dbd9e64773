package chameleon.runtime.serve;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The live page's HTTP server (the JDK's built-in {@link HttpServer}, loopback only): the page, the
 * photo library and one {@link LiveStream} per tab. Every request runs on its own virtual thread inside a
 * {@link GuardedHandler}, so a long stream does not hold up other requests and a failing one does not
 * take the server down.
 *
 * <pre>{@code
 * try (LiveServer server = LiveServer.start(settings, 0)) {
 *     System.out.println("http://127.0.0.1:" + server.port() + "/");
 * }
 * }</pre>
 */
public final class LiveServer implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService threads;
    private final SessionSlots slots;

    private LiveServer(HttpServer http, ExecutorService threads, SessionSlots slots) {
        this.http = http;
        this.threads = threads;
        this.slots = slots;
    }

    /**
     * Binds 127.0.0.1:{@code port} (0 picks a free port) and starts serving.
     *
     * @throws IOException when the port cannot be bound
     */
    public static LiveServer start(LiveSettings settings, int port) throws IOException {
        ImageLibrary images = ImageLibrary.withDemoImages(settings.size());
        SessionSlots slots = new SessionSlots(settings.maxSessions());
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        http.createContext("/", new GuardedHandler(new PageHandler()));
        http.createContext("/api/images", new GuardedHandler(new ImagesHandler(images, settings.uploadLimit())));
        http.createContext("/api/sessions", new GuardedHandler(new SessionsHandler(settings, images, slots)));
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(threads);
        http.start();
        return new LiveServer(http, threads, slots);
    }

    /** The bound port. */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Live sessions right now (reserved or streaming). */
    public int activeSessions() {
        return slots.active();
    }

    /** Stops every stream (each ends after its chunk in progress) and the server. */
    @Override
    public void close() {
        slots.releaseAll();
        http.stop(0);
        threads.shutdown();
    }
}
