package chameleon.runtime.cli;

import chameleon.layers.dit.ResidentDitSource;
import chameleon.runtime.Checkpoint;
import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.Engine;
import chameleon.runtime.PreparedPrompt;
import chameleon.runtime.PromptEmbedding;
import chameleon.runtime.PromptEncoder;
import chameleon.tensor.Backend;
import chameleon.runtime.SessionOptions;
import chameleon.runtime.io.FrameSize;
import chameleon.runtime.serve.LiveServer;
import chameleon.runtime.serve.LiveSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code serve}: the live page on 127.0.0.1. Runs until the process is stopped (Ctrl-C); with no
 * {@code --checkpoint} it serves the embedded demo, like {@code generate}.
 */
final class ServeCommand {
    private static final Set<String> VALUED = Set.of("kernels", "port", "checkpoint", "backend", "prompt", "prompt-embedding", "t5",
            "tokenizer", "max-sessions");

    void run(String[] words, PrintStream out) {
        Arguments a = new Arguments("serve", words, 1, VALUED, Set.of());
        if (!a.positional().isEmpty()) {
            throw a.usage("unexpected argument \"" + a.positional().get(0) + "\"");
        }
        int port = a.intOption("port", 8080, 0);
        if (port > 65535) {
            throw a.usage("--port must be at most 65535, got " + port);
        }
        int maxSessions = a.intOption("max-sessions", 2, 1);
        boolean demo = a.option("checkpoint") == null;
        Checkpoint checkpoint;
        FrameSize size;
        if (demo) {
            out.println("no --checkpoint: serving the embedded demo model (tiny Wan architecture with RANDOM weights;"
                    + " the video shows the pipeline working, not a trained model)");
            DemoCheckpoint d = DemoCheckpoint.ensure(DemoCheckpoint.defaultDir());
            checkpoint = new Checkpoint(d.dit(), d.vae());
            size = new FrameSize(DemoCheckpoint.WIDTH, DemoCheckpoint.HEIGHT);
        } else {
            checkpoint = Checkpoint.locate(Path.of(a.option("checkpoint")));
            size = FrameSize.DEFAULT;
        }
        if (a.option("prompt") != null && a.option("prompt-embedding") != null) {
            throw a.usage("give --prompt TEXT or --prompt-embedding FILE, not both");
        }
        int textLen = demo ? DemoCheckpoint.TEXT_LEN : PromptEncoder.TEXT_LEN;
        Backend backend = BackendChoice.create(a.option("backend"), a);
        if (backend instanceof ResidentDitSource r && r.resident()) {
            // the device holds one session's KV cache: a second live session would displace the first
            if (a.option("max-sessions") != null && maxSessions > 1) {
                throw a.usage("--max-sessions " + maxSessions + ": the TornadoVM backend's device-resident DiT holds one"
                        + " session's KV cache at a time; use --max-sessions 1, or -Dchameleon.tornado.resident=false"
                        + " (op by op, caches on the host)");
            }
            maxSessions = 1;
        }
        PromptEncoder textEncoder = a.option("prompt") != null ? PromptSource.open(a, demo, textLen, backend)
                : PromptSource.openIfConfigured(a, demo, textLen, backend);
        out.println(textEncoder == null ? "no text encoder (--t5 PATH --tokenizer DIR, or " + PromptEncoder.T5_CHECKPOINT
                + " and " + PromptEncoder.TOKENIZER_DIR + "/ in the checkpoint): the page's prompt box is off"
                : "text prompts on: umT5 " + (demo && a.option("t5") == null ? "(the demo's random tiny encoder)" : "")
                + " encodes in the JVM, text length " + textLen);
        try (Engine engine = Engine.open(checkpoint, backend, textEncoder, Engine.DEFAULT_PROMPT_CACHE)) {
            int textDim = engine.dit().config().textDim();
            PreparedPrompt prompt = a.option("prompt") != null ? engine.prompt(a.option("prompt"))
                    : engine.prompt(a.option("prompt-embedding") != null
                    ? PromptEmbedding.load(Path.of(a.option("prompt-embedding")), textDim)
                    : PromptEmbedding.zeros(textLen, textDim));
            SessionOptions options = SessionOptions.defaults().withSize(size.width(), size.height());
            LiveSettings settings = new LiveSettings(engine, options, prompt, 42, maxSessions,
                    LiveSettings.DEFAULT_UPLOAD_LIMIT, demo ? "Embedded demo model with random weights: the video is"
                    + " noise by design; it shows the pipeline streaming and switching, not a trained model." : "");
            LiveServer server;
            try {
                server = LiveServer.start(settings, port);
            } catch (IOException e) {
                throw new CliException(ExitCode.FAILED, "cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }));
            // Scripts wait for this exact line (with --port 0 it is the only way to learn the port).
            out.println("serving on http://127.0.0.1:" + server.port() + "/ (" + size + ", up to " + maxSessions
                    + " live sessions; Ctrl-C stops)");
            out.flush();
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
