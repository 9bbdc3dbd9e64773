package chameleon.runtime.cli;

import chameleon.layers.dit.ResidentDitSource;
import chameleon.runtime.Checkpoint;
import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.Engine;
import chameleon.runtime.Frames;
import chameleon.runtime.HeapEstimate;
import chameleon.runtime.PromptEmbedding;
import chameleon.runtime.PromptEncoder;
import chameleon.runtime.RandomModel;
import chameleon.runtime.Session;
import chameleon.runtime.SessionOptions;
import chameleon.runtime.io.BackgroundVideoWriter;
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
/**
 * {@code generate}: streams a video chunk by chunk into an MP4, switching garments at the chunks the
 * user names. Three sources of weights: a {@code --checkpoint} folder; {@code --random-weights NAME}, a
 * model architecture at its real shape with deterministic random weights built in memory (speed and memory
 * at the real cost, no files); or, with neither, the embedded demo (the real architecture at a tiny size
 * with deterministic random weights, and drawn sample images). Without a checkpoint the person and garment
 * images are the drawn demo images at the video size, and the garment switches once.
 */
final class GenerateCommand {
    private static final Set<String> VALUED = Set.of("kernels", "checkpoint", "random-weights", "reference", "garment", "switch",
            "prompt", "prompt-embedding", "t5", "tokenizer", "chunks", "seed", "out", "frames", "width", "height",
            "backend");

    void run(String[] words, PrintStream out) {
        Arguments a = new Arguments("generate", words, 1, VALUED, Set.of("check-finite", "no-video"));
        if (!a.positional().isEmpty()) {
            throw a.usage("unexpected argument \"" + a.positional().get(0) + "\"");
        }
        if (a.option("checkpoint") != null && a.option("random-weights") != null) {
            throw a.usage("give --checkpoint DIR or --random-weights NAME, not both");
        }
        RandomModel random = randomModel(a);
        boolean demo = a.option("checkpoint") == null && random == null;
        boolean drawnImages = a.option("checkpoint") == null; // demo or random weights: the drawn demo images
        Checkpoint checkpoint = null;
        FrameSize size;
        if (demo) {
            out.println("no --checkpoint: running the embedded demo model (tiny Wan architecture with RANDOM weights;"
                    + " the video shows the pipeline working, not a trained model)");
            DemoCheckpoint d = DemoCheckpoint.ensure(DemoCheckpoint.defaultDir());
            checkpoint = new Checkpoint(d.dit(), d.vae());
            size = size(a, DemoCheckpoint.WIDTH, DemoCheckpoint.HEIGHT);
        } else if (random != null) {
            size = size(a, random.size().width(), random.size().height());
        } else {
            checkpoint = Checkpoint.locate(Path.of(a.option("checkpoint")));
            size = size(a, FrameSize.DEFAULT.width(), FrameSize.DEFAULT.height());
        }
        int chunks = a.intOption("chunks", demo ? 6 : 7, 1);
        long seed = a.option("seed") == null ? 42 : parseSeed(a);
        boolean writeVideo = !a.flag("no-video");
        if (!writeVideo && a.option("out") != null) {
            throw a.usage("--no-video writes no video: drop --out " + a.option("out") + " (or --no-video)");
        }
        Path target = Path.of(a.option("out") != null ? a.option("out") : demo ? "out/demo.mp4" : "out/video.mp4");
        Path framesDir = a.option("frames") == null ? null : Path.of(a.option("frames"));
        TreeMap<Integer, RgbImage> switches = parseSwitches(a, chunks, drawnImages, size);

        RgbImage referencePhoto = a.option("reference") != null ? ImageLoader.read(Path.of(a.option("reference")))
                : requireDrawn(drawnImages, a, "--reference IMG", RgbConverter.convert(DemoImages.person(size.width(), size.height()), "demo person"));
        RgbImage garmentPhoto = a.option("garment") != null ? ImageLoader.read(Path.of(a.option("garment")))
                : requireDrawn(drawnImages, a, "--garment IMG", RgbConverter.convert(
                        DemoImages.garment(DemoImages.Garment.values()[0], size.width(), size.height()), "demo garment"));
        if (writeVideo) {
            Path parent = target.toAbsolutePath().getParent();
            try {
                Files.createDirectories(parent);
            } catch (java.io.IOException e) {
                throw new CliException(ExitCode.FAILED, target + ": cannot create the output folder: " + e.getMessage());
            }
            if (!Files.isWritable(parent)) {
                throw new CliException(ExitCode.FAILED, target + ": output folder is not writable");
            }
        }

        if (a.flag("check-finite") && checkpoint != null) {
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
        Backend backend = BackendChoice.create(a.option("backend"), a);
        out.println("backend: " + backend.description());
        try (Engine engine = random != null ? openRandom(random, backend, options, a.flag("check-finite"), out)
                : Engine.open(checkpoint, backend)) {
            int textDim = engine.dit().config().textDim();
            Tensor prompt = prompt(a, out, demo, random, textDim, engine.backend());
            Tensor reference = ConditioningImage.reference(referencePhoto, size).toTensor();
            Tensor garment = ConditioningImage.garment(garmentPhoto, size).toTensor();
            ChunkLog log = new ChunkLog(chunks, out);
            BackgroundVideoWriter video = writeVideo ? BackgroundVideoWriter.open(target) : null;
            try (Session session = engine.openSession(reference, garment, prompt, seed, options)) {
                log.sessionOpened();
                for (int c = 1; c <= chunks; c++) {
                    RgbImage next = switches.get(c);
                    if (next != null) {
                        session.switchGarment(ConditioningImage.garment(next, size).toTensor());
                    }
                    long t0 = System.nanoTime();
                    Frames frames = session.nextChunk();
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (video != null) {
                        video.append(frames); // encoded on the writer's thread, overlapping the next chunk
                    }
                    if (framesDir != null) {
                        frames.writePng(framesDir, "frame_", log.frames());
                    }
                    log.chunk(c, frames.count(), seconds, session.lastChunkTiming(), next != null);
                }
                log.summary();
                if (video != null) {
                    long tw = System.nanoTime();
                    video.close();
                    out.printf(Locale.ROOT, "wrote %s: %d frames at %d fps, %dx%d (%d switch%s); the encoder thread"
                                    + " spent %.2f s, generation waited %.2f s for it at the end%n", target,
                            log.frames(), Mp4VideoWriter.DEFAULT_FPS, size.width(), size.height(), switches.size(),
                            switches.size() == 1 ? "" : "es", video.encodeSeconds(), (System.nanoTime() - tw) / 1e9);
                } else {
                    out.printf(Locale.ROOT, "--no-video: %d frames generated, %dx%d (%d switch%s), none written%n",
                            log.frames(), size.width(), size.height(), switches.size(), switches.size() == 1 ? "" : "es");
                }
            } catch (RuntimeException | Error e) {
                if (video != null) {
                    video.abort();
                }
                throw e;
            }
        }
    }

    /** {@code --random-weights NAME}, or null. */
    private static RandomModel randomModel(Arguments a) {
        String name = a.option("random-weights");
        if (name == null) {
            return null;
        }
        try {
            return RandomModel.named(name);
        } catch (IllegalArgumentException e) {
            throw a.usage("--random-weights: " + e.getMessage());
        }
    }

    /**
     * Builds the random model's weights in memory, after checking that the heap can hold a session of it
     * (the weights alone are ≈ 13 GB at the real shape: failing now beats an OutOfMemoryError later).
     */
    private static Engine openRandom(RandomModel random, Backend backend, SessionOptions options, boolean checkFinite,
                                     PrintStream out) {
        boolean kvOnHost = !(backend instanceof ResidentDitSource);
        HeapEstimate need = random.heapNeed(options, kvOnHost);
        long maxHeap = Runtime.getRuntime().maxMemory();
        out.printf(Locale.ROOT, "--random-weights %s: %s with deterministic RANDOM weights built in memory (no files;"
                        + " the video is noise: this measures speed and memory, not quality): DiT %s parameters BF16,"
                        + " VAE %s F32%n", random.name(), random.title(), count(random.ditParameters()),
                count(random.vaeParameters()));
        out.printf(Locale.ROOT, "heap needed about %s; this JVM may use %.1f GiB (-Xmx)%n", need, maxHeap / GIB);
        if (!need.fits(maxHeap)) {
            throw new CliException(ExitCode.FAILED, "--random-weights " + random.name() + " at " + options.width()
                    + "x" + options.height() + " needs about " + String.format(Locale.ROOT, "%.1f", need.total() / GIB)
                    + " GiB of Java heap, this JVM may use " + String.format(Locale.ROOT, "%.1f", maxHeap / GIB)
                    + " GiB: run it with -Xmx" + need.suggestedXmxGib() + "g (JAVA_OPTS for ./chameleon,"
                    + " CHAMELEON_JAVA_OPTS for .bundle/run-on-device.sh)");
        }
        long t0 = System.nanoTime();
        TensorArchive dit = random.ditWeights();
        TensorArchive vae = random.vaeWeights();
        out.printf(Locale.ROOT, "random weights built in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (checkFinite) {
            dit.checkFinite();
            vae.checkFinite();
            out.println("--check-finite: every random weight is finite");
        }
        return Engine.open(dit, vae, backend);
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    /** 5.00 B, 12.3 M. */
    private static String count(long n) {
        return n >= 1e9 ? String.format(Locale.ROOT, "%.2f B", n / 1e9) : String.format(Locale.ROOT, "%.1f M", n / 1e6);
    }

    /**
     * The DiT's context: {@code --prompt TEXT} through umT5 in the JVM, {@code --prompt-embedding FILE}
     * precomputed, else zeros. The text length is the pipeline's 512, or the demo's own.
     */
    private static Tensor prompt(Arguments a, PrintStream out, boolean demo, RandomModel random, int textDim,
                                 Backend backend) {
        int textLen = demo ? DemoCheckpoint.TEXT_LEN : random != null ? random.textLen() : PromptEncoder.TEXT_LEN;
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
        if (random != null) {
            out.println("no --prompt: using a deterministic random prompt embedding [" + textLen + ", " + textDim + "]");
            return random.promptEmbedding();
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

    private static RgbImage requireDrawn(boolean drawn, Arguments a, String what, RgbImage demoImage) {
        if (!drawn) {
            throw a.usage(what + " is required with --checkpoint");
        }
        return demoImage;
    }

    /**
     * {@code --switch CHUNK:IMG}, chunks counted from 1; with the drawn demo images (no checkpoint) the
     * garment switches at chunk 4 when none is given.
     */
    private static TreeMap<Integer, RgbImage> parseSwitches(Arguments a, int chunks, boolean drawn, FrameSize size) {
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
        if (drawn && switches.isEmpty() && chunks >= 2) {
            int at = Math.min(4, chunks);
            switches.put(at, RgbConverter.convert(
                    DemoImages.garment(DemoImages.Garment.values()[1], size.width(), size.height()), "demo garment 2"));
        }
        return switches;
    }
}
