package chameleon.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.Checkpoint;
import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.DemoTextEncoder;
import chameleon.runtime.Engine;
import chameleon.runtime.PromptEmbedding;
import chameleon.runtime.SessionOptions;
import chameleon.runtime.io.DemoImages;
import chameleon.tensor.cpu.CpuBackend;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live server's endpoints over real HTTP on an ephemeral port, on the embedded demo: the page and
 * photos, a stream with a garment switch, bad uploads, the session cap and a dropped stream.
 */
class LiveServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long UPLOAD_LIMIT = 200_000;
    @TempDir
    static Path tmp;
    private static Engine engine;
    private static LiveServer server;
    private static HttpClient http;

    @BeforeAll
    static void start() throws IOException {
        DemoCheckpoint d = DemoCheckpoint.ensure(tmp.resolve("demo"));
        engine = Engine.open(new Checkpoint(d.dit(), d.vae()), new CpuBackend(),
                DemoTextEncoder.open(DemoCheckpoint.TEXT_LEN, new CpuBackend()), Engine.DEFAULT_PROMPT_CACHE);
        SessionOptions options = SessionOptions.defaults().withSize(DemoCheckpoint.WIDTH, DemoCheckpoint.HEIGHT);
        int textDim = engine.dit().config().textDim();
        server = LiveServer.start(new LiveSettings(engine, options, engine.prompt(PromptEmbedding.zeros(
                DemoCheckpoint.TEXT_LEN, textDim)), 42, 1, UPLOAD_LIMIT, "demo notice"), 0);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        server.close();
        engine.close();
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return post(path, json.getBytes(StandardCharsets.UTF_8));
    }

    private static String error(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body()).path("error").asText();
    }

    /** One server-sent event read from the stream. */
    private record Event(String name, String data) {
    }

    private static Event next(BufferedReader in) throws IOException {
        String name = null;
        String data = null;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                data = line.substring(6);
            } else if (line.isEmpty() && name != null) {
                return new Event(name, data);
            }
        }
        return null;
    }

    private static String startSession(String garment) throws Exception {
        HttpResponse<String> r = post("/api/sessions", "{\"reference\":\"person-demo\",\"garment\":\"" + garment + "\"}");
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("id").asText();
    }

    private static void awaitNoSessions() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (server.activeSessions() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, server.activeSessions(), "the session must be freed");
    }

    @Test
    void servesThePageAndThePhotos() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script src=\"/app.js\">"), page.body());
        assertEquals(200, get("/app.js").statusCode());
        assertEquals(404, get("/nope").statusCode());
        assertEquals("demo notice", JSON.readTree(get("/api/sessions").body()).path("notice").asText());
        JsonNode list = JSON.readTree(get("/api/images").body());
        assertEquals("person-demo", list.get(0).path("id").asText());
        long demo = 0;
        for (JsonNode e : list) {
            demo += e.path("id").asText().startsWith("upload-") ? 0 : 1;   // other tests may have uploaded
        }
        assertEquals(1 + DemoImages.Garment.values().length, demo);
        HttpResponse<byte[]> thumb = http.send(HttpRequest.newBuilder(uri("/api/images/garment-red_tshirt")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("image/png", thumb.headers().firstValue("Content-Type").orElseThrow());
        assertNotNull(ImageIO.read(new java.io.ByteArrayInputStream(thumb.body())));
    }

    @Test
    void streamsFramesAndSwitchesAtTheNextChunk() throws Exception {
        String id = startSession("garment-red_tshirt");
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/api/sessions/" + id + "/stream")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            assertEquals("ready", next(in).name());
            Event frame = next(in);
            assertEquals("frame", frame.name());
            var image = ImageIO.read(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(frame.data())));
            assertEquals(DemoCheckpoint.WIDTH, image.getWidth());
            assertEquals(DemoCheckpoint.HEIGHT, image.getHeight());
            Event e;
            int frames = 1;
            while ((e = next(in)).name().equals("frame")) {
                frames++;
            }
            assertEquals("chunk", e.name());
            JsonNode first = JSON.readTree(e.data());
            assertEquals(1, first.path("chunk").asInt());
            assertEquals(9, frames);
            assertTrue(first.path("switchChunk").isNull(), e.data());
            assertTrue(first.path("secondsPerChunk").asDouble() > 0 && first.path("fps").asDouble() > 0, e.data());

            HttpResponse<String> sw = post("/api/sessions/" + id + "/garment", "{\"garment\":\"garment-blue_striped_shirt\"}");
            assertEquals(202, sw.statusCode(), sw.body());
            int request = JSON.readTree(sw.body()).path("request").asInt();
            JsonNode switched = null;
            for (int i = 0; i < 4 && switched == null; i++) {
                while ((e = next(in)).name().equals("frame")) {
                    // frames of the chunk; the chunk event after them says what they show
                }
                JsonNode c = JSON.readTree(e.data());
                if (c.path("switchesApplied").asInt() >= request) {
                    switched = c;
                }
            }
            assertNotNull(switched, "the switch must take effect within a few chunks");
            assertEquals(switched.path("chunk").asInt(), switched.path("switchChunk").asInt(), switched.toString());
            assertEquals(9, switched.path("frames").asInt(), "the decoder restarts at a switch");
            assertTrue(!switched.path("pending").asBoolean());

            assertEquals(409, get("/api/sessions/" + id + "/stream").statusCode(), "one listener per session");
            assertEquals(204, post("/api/sessions/" + id + "/close", new byte[0]).statusCode());
            while ((e = next(in)) != null && !e.name().equals("stopped")) {
                // the chunk in progress finishes, then the stream says it stopped
            }
            assertNotNull(e, "the stream must end with a stopped event");
        }
        awaitNoSessions();
        assertEquals(404, post("/api/sessions/" + id + "/garment", "{\"garment\":\"garment-red_tshirt\"}").statusCode());
    }

    /** The chunk event after the next run of frames. */
    private static JsonNode nextChunk(BufferedReader in) throws IOException {
        Event e;
        while ((e = next(in)).name().equals("frame")) {
            // frames of the chunk
        }
        assertEquals("chunk", e.name(), e.data());
        return JSON.readTree(e.data());
    }

    @Test
    void switchesThePromptAtTheNextChunkAndSaysWhenItWasTruncated() throws Exception {
        JsonNode info = JSON.readTree(get("/api/sessions").body());
        assertTrue(info.path("textPrompts").asBoolean(), info.toString());
        assertEquals(DemoCheckpoint.TEXT_LEN, info.path("textLen").asInt());
        HttpResponse<String> created = post("/api/sessions", "{\"reference\":\"person-demo\",\"garment\":"
                + "\"garment-red_tshirt\",\"prompt\":\"a red dress\"}");
        assertEquals(201, created.statusCode(), created.body());
        String id = JSON.readTree(created.body()).path("id").asText();
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/api/sessions/" + id + "/stream")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            assertEquals("ready", next(in).name());
            JsonNode first = nextChunk(in);
            assertEquals("a red dress", first.path("prompt").asText(), first.toString());
            assertEquals(1, first.path("promptChunk").asInt());
            assertEquals(4, first.path("promptTokens").asInt()); // ▁a ▁red ▁dress </s>

            String text = "a woman wearing a red striped shirt and a blue denim jacket turns to the camera slowly";
            HttpResponse<String> sw = post("/api/sessions/" + id + "/prompt", "{\"prompt\":\"" + text + "\"}");
            assertEquals(202, sw.statusCode(), sw.body());
            JsonNode reply = JSON.readTree(sw.body());
            assertEquals(18, reply.path("tokens").asInt(), reply.toString());   // 17 words + EOS
            assertEquals(DemoCheckpoint.TEXT_LEN, reply.path("kept").asInt());
            assertTrue(reply.path("truncated").asBoolean());
            JsonNode switched = null;
            for (int i = 0; i < 4 && switched == null; i++) {
                JsonNode c = nextChunk(in);
                if (c.path("promptsApplied").asInt() >= reply.path("request").asInt()) {
                    switched = c;
                }
            }
            assertNotNull(switched, "the prompt must take effect within a few chunks");
            assertEquals(text, switched.path("prompt").asText());
            assertEquals(switched.path("chunk").asInt(), switched.path("promptChunk").asInt(), switched.toString());
            assertTrue(switched.path("promptTruncated").asBoolean());
            assertEquals(12, switched.path("frames").asInt(), "a prompt switch keeps the decoder running");
            assertEquals(400, post("/api/sessions/" + id + "/prompt", "{\"prompt\":7}").statusCode());
            assertEquals(204, post("/api/sessions/" + id + "/close", new byte[0]).statusCode());
            while (next(in) != null) {
                // drain until the server ends the stream
            }
        }
        awaitNoSessions();

        // A server whose engine has no text encoder refuses text prompts and says how to get one.
        DemoCheckpoint d = DemoCheckpoint.ensure(tmp.resolve("demo"));
        try (Engine plain = Engine.open(new Checkpoint(d.dit(), d.vae()), new CpuBackend());
             LiveServer other = LiveServer.start(new LiveSettings(plain, SessionOptions.defaults(), plain.prompt(
                     PromptEmbedding.zeros(DemoCheckpoint.TEXT_LEN, 64)), 42, 1, UPLOAD_LIMIT, ""), 0)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.port()
                    + "/api/sessions")).POST(HttpRequest.BodyPublishers.ofString("{\"reference\":\"person-demo\","
                    + "\"garment\":\"garment-red_tshirt\",\"prompt\":\"a red dress\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(409, r.statusCode(), r.body());
            assertTrue(error(r).contains("no text encoder") && error(r).contains("--t5 PATH --tokenizer DIR"), r.body());
        }
    }

    @Test
    void badUploadsAreRefusedWithTheirReason() throws Exception {
        HttpResponse<String> text = post("/api/images?kind=garment&name=notes.txt", "just some text");
        assertEquals(400, text.statusCode());
        assertTrue(error(text).startsWith("notes.txt: is not a recognised image"), text.body());

        HttpResponse<String> big = post("/api/images?kind=garment&name=huge.png", new byte[(int) UPLOAD_LIMIT + 1]);
        assertEquals(413, big.statusCode());
        assertTrue(error(big).contains("too large") && error(big).contains("huge.png"), big.body());

        HttpResponse<String> noKind = post("/api/images?name=a.png", "x");
        assertEquals(400, noKind.statusCode());

        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(DemoImages.garment(DemoImages.Garment.GREEN_DOTTED_DRESS, 64, 96), "png", png);
        HttpResponse<String> ok = post("/api/images?kind=garment&name=dress.png", png.toByteArray());
        assertEquals(201, ok.statusCode(), ok.body());
        String id = JSON.readTree(ok.body()).path("id").asText();
        assertTrue(get("/api/images").body().contains(id));

        HttpResponse<String> notJson = post("/api/sessions", "{reference");
        assertEquals(400, notJson.statusCode());
        HttpResponse<String> wrongKind = post("/api/sessions", "{\"reference\":\"" + id + "\",\"garment\":\"" + id + "\"}");
        assertEquals(400, wrongKind.statusCode());
        assertTrue(error(wrongKind).contains("is a garment photo, not a reference"), wrongKind.body());
        assertEquals(0, server.activeSessions());
    }

    @Test
    void aDroppedStreamEndsItsSessionAndTheCapIsA503() throws Exception {
        String id = startSession("garment-red_tshirt");
        HttpResponse<String> full = post("/api/sessions", "{\"reference\":\"person-demo\",\"garment\":\"garment-red_tshirt\"}");
        assertEquals(503, full.statusCode());
        assertTrue(error(full).contains("all 1 live sessions are in use"), full.body());

        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/api/sessions/" + id + "/stream")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
        assertEquals("ready", next(in).name());
        assertEquals("frame", next(in).name());
        in.close();   // the tab goes away without saying so
        awaitNoSessions();
        String again = startSession("garment-red_tshirt");
        assertEquals(204, post("/api/sessions/" + again + "/close", new byte[0]).statusCode());
        assertEquals(0, server.activeSessions());
    }
}
