package chameleon.runtime.cli;

import chameleon.runtime.Checkpoint;
import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.Engine;
import chameleon.runtime.Frames;
import chameleon.runtime.PromptEmbedding;
import chameleon.runtime.PromptEncoder;
import chameleon.runtime.Session;
import chameleon.runtime.SessionOptions;
import chameleon.runtime.io.ConditioningImage;
import chameleon.runtime.io.DemoImages;
import chameleon.runtime.io.FrameSize;
import chameleon.runtime.io.ImageLoader;
import chameleon.runtime.io.Mp4VideoWriter;
import chameleon.runtime.io.RgbConverter;
import chameleon.runtime.io.RgbImage;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code generate}: streams a video chunk by chunk into an MP4, switching garments at the chunks the
 * user names. With no {@code --checkpoint} it runs the embedded demo (the real architecture at a tiny
 * size with deterministic random weights, and drawn sample images) and switches garment once.
 */
final class GenerateCommand {
    private static final Set<String> VALUED = Set.of("checkpoint", "reference", "garment", "switch", "prompt",
            "prompt-embedding", "t5", "tokenizer", "chunks", "seed", "out", "frames", "width", "height", "backend");

    void run(String[] words, PrintStream out) {
        Arguments a = new Arguments("generate", words, 1, VALUED, Set.of("check-finite"));
        if (!a.positional().isEmpty()) {
            throw a.usage("unexpected argument \"" + a.positional().get(0) + "\"");
        }
        boolean demo = a.option("checkpoint") == null;
        Checkpoint checkpoint;
        FrameSize size;
        if (demo) {
            out.println("no --checkpoint: running the embedded demo model (tiny Wan architecture with RANDOM weights;"
                    + " the video shows the pipeline working, not a trained model)");
            DemoCheckpoint d = DemoCheckpoint.ensure(DemoCheckpoint.defaultDir());
            checkpoint = new Checkpoint(d.dit(), d.vae());
            size = size(a, DemoCheckpoint.WIDTH, DemoCheckpoint.HEIGHT);
        } else {
            checkpoint = Checkpoint.locate(Path.of(a.option("checkpoint")));
            size = size(a, FrameSize.DEFAULT.width(), FrameSize.DEFAULT.height());
        }
        int chunks = a.intOption("chunks", demo ? 6 : 7, 1);
        long seed = a.option("seed") == null ? 42 : parseSeed(a);
        Path target = Path.of(a.option("out") != null ? a.option("out") : demo ? "out/demo.mp4" : "out/video.mp4");
        Path framesDir = a.option("frames") == null ? null : Path.of(a.option("frames"));
        TreeMap<Integer, RgbImage> switches = parseSwitches(a, chunks, demo, size);

        RgbImage referencePhoto = a.option("reference") != null ? ImageLoader.read(Path.of(a.option("reference")))
                : requireDemo(demo, a, "--reference IMG", RgbConverter.convert(DemoImages.person(size.width(), size.height()), "demo person"));
        RgbImage garmentPhoto = a.option("garment") != null ? ImageLoader.read(Path.of(a.option("garment")))
                : requireDemo(demo, a, "--garment IMG", RgbConverter.convert(
                        DemoImages.garment(DemoImages.Garment.values()[0], size.width(), size.height()), "demo garment"));
        Path parent = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (java.io.IOException e) {
            throw new CliException(ExitCode.FAILED, target + ": cannot create the output folder: " + e.getMessage());
        }
        if (!Files.isWritable(parent)) {
            throw new CliException(ExitCode.FAILED, target + ": output folder is not writable");
        }

        if (a.flag("check-finite")) {
            // before the engine binds anything: a NaN weight would otherwise surface as NaN frames much later
            for (Path weights : new Path[] {checkpoint.dit(), checkpoint.vae()}) {
                try (TensorArchive archive = TensorArchive.open(weights)) {
                    archive.checkFinite();
                }
            }
            out.println("--check-finite: every weight of " + checkpoint.dit() + " and " + checkpoint.vae()
                    + " is finite");
        }
        SessionOptions options = SessionOptions.defaults().withSize(size.width(), size.height());
        try (Engine engine = Engine.open(checkpoint, BackendChoice.create(a.option("backend"), a))) {
            int textDim = engine.dit().config().textDim();
            Tensor prompt = prompt(a, out, demo, textDim, engine.backend());
            Tensor reference = ConditioningImage.reference(referencePhoto, size).toTensor();
            Tensor garment = ConditioningImage.garment(garmentPhoto, size).toTensor();
            long start = System.nanoTime();
            int framesOut = 0;
            Mp4VideoWriter video = Mp4VideoWriter.open(target);
            try (Session session = engine.openSession(reference, garment, prompt, seed, options)) {
                for (int c = 1; c <= chunks; c++) {
                    RgbImage next = switches.get(c);
                    if (next != null) {
                        session.switchGarment(ConditioningImage.garment(next, size).toTensor());
                    }
                    long t0 = System.nanoTime();
                    Frames frames = session.nextChunk();
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    video.append(frames);
                    if (framesDir != null) {
                        frames.writePng(framesDir, "frame_", framesOut);
                    }
                    framesOut += frames.count();
                    double total = (System.nanoTime() - start) / 1e9;
                    out.printf(Locale.ROOT, "chunk %d/%d: %d frames in %.2f s, running %.2f FPS%s%n", c, chunks,
                            frames.count(), seconds, framesOut / total, next != null ? ", garment switched" : "");
                }
                video.close();
            } catch (RuntimeException | Error e) {
                video.abort();
                throw e;
            }
            out.printf(Locale.ROOT, "wrote %s: %d frames at %d fps, %dx%d (%d switch%s)%n", target, framesOut,
                    Mp4VideoWriter.DEFAULT_FPS, size.width(), size.height(), switches.size(), switches.size() == 1 ? "" : "es");
        }
    }

    /**
     * The DiT's context: {@code --prompt TEXT} through umT5 in the JVM, {@code --prompt-embedding FILE}
     * precomputed, else zeros. The text length is the pipeline's 512, or the demo's own.
     */
    private static Tensor prompt(Arguments a, PrintStream out, boolean demo, int textDim, Backend backend) {
        int textLen = demo ? DemoCheckpoint.TEXT_LEN : PromptEncoder.TEXT_LEN;
        if (a.option("prompt") != null && a.option("prompt-embedding") != null) {
            throw a.usage("give --prompt TEXT or --prompt-embedding FILE, not both");
        }
        if (a.option("prompt-embedding") != null) {
            return PromptEmbedding.load(Path.of(a.option("prompt-embedding")), textDim);
        }
        if (a.option("prompt") != null) {
            try (PromptEncoder encoder = PromptSource.open(a, demo, textLen, backend)) {
                if (encoder.dim() != textDim) {
                    throw new CliException(ExitCode.FAILED, "the text encoder's width " + encoder.dim()
                            + " does not match the DiT's text_dim " + textDim);
                }
                long t0 = System.nanoTime();
                Tensor embedding = encoder.encode(a.option("prompt"));
                int tokens = encoder.tokenCount(a.option("prompt"));
                out.printf(Locale.ROOT, "prompt encoded%s: %d tokens%s, [%d, %d] in %.2f s%n",
                        demo && a.option("t5") == null ? " by the demo's random text encoder" : "",
                        Math.min(tokens, textLen), tokens > textLen ? " (truncated from " + tokens
                                + " to the text length, as Wan truncates)" : "", textLen, textDim,
                        (System.nanoTime() - t0) / 1e9);
                return embedding;
            }
        }
        out.println("no --prompt: using an all-zero prompt embedding [" + textLen + ", " + textDim + "]");
        return PromptEmbedding.zeros(textLen, textDim);
    }

    /**
     * {@code --width} and {@code --height}: a size the session cannot take is a command-line mistake
     * (exit 2), so it is refused here rather than as a failure deep in the session setup.
     */
    private static FrameSize size(Arguments a, int width, int height) {
        int w = a.intOption("width", width, 32), h = a.intOption("height", height, 32);
        if (w % 32 != 0 || h % 32 != 0) {
            throw a.usage("--width and --height must be multiples of 32 (VAE stride 16 × DiT patch 2), got "
                    + w + "x" + h);
        }
        return new FrameSize(w, h);
    }

    private static long parseSeed(Arguments a) {
        try {
            return Long.parseLong(a.option("seed"));
        } catch (NumberFormatException e) {
            throw a.usage("--seed must be a whole number, got \"" + a.option("seed") + "\"");
        }
    }

    private static RgbImage requireDemo(boolean demo, Arguments a, String what, RgbImage demoImage) {
        if (!demo) {
            throw a.usage(what + " is required with --checkpoint");
        }
        return demoImage;
    }

    /** {@code --switch CHUNK:IMG}, chunks counted from 1; the demo switches at chunk 4 when none is given. */
    private static TreeMap<Integer, RgbImage> parseSwitches(Arguments a, int chunks, boolean demo, FrameSize size) {
        TreeMap<Integer, RgbImage> switches = new TreeMap<>();
        for (String s : a.options("switch")) {
            int colon = s.indexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw a.usage("--switch must be CHUNK:IMAGE, got \"" + s + "\"");
            }
            int chunk;
            try {
                chunk = Integer.parseInt(s.substring(0, colon));
            } catch (NumberFormatException e) {
                throw a.usage("--switch chunk must be a whole number, got \"" + s.substring(0, colon) + "\"");
            }
            if (chunk < 2 || chunk > chunks) {
                throw a.usage("--switch chunk " + chunk + " is outside 2.." + chunks
                        + " (chunk 1 uses --garment; --chunks is " + chunks + ")");
            }
            if (switches.put(chunk, ImageLoader.read(Path.of(s.substring(colon + 1)))) != null) {
                throw a.usage("--switch names chunk " + chunk + " twice");
            }
        }
        if (demo && switches.isEmpty() && chunks >= 2) {
            int at = Math.min(4, chunks);
            switches.put(at, RgbConverter.convert(
                    DemoImages.garment(DemoImages.Garment.values()[1], size.width(), size.height()), "demo garment 2"));
        }
        return switches;
    }
}
