package chameleon.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.cli.Main;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate} killed mid-run (SIGKILL, no shutdown hooks) in a separate JVM: the target keeps the
 * previous complete video byte for byte, or stays absent; the partial video only ever exists under a hidden
 * {@code .NAME.PID.….part} name, and the next {@code generate} of that target removes it.
 */
class GenerateKillTest {
    /** Far more chunks than run before the kill, so the process is always killed mid-video. */
    private static final int CHUNKS = 40;
    /** Bounds the wait for the first progress line (JVM start, demo creation, first chunk). */
    private static final long FIRST_CHUNK_TIMEOUT_S = 120;

    /** A small video (64×96) keeps each JVM's first chunk quick; the writing path is the same. */
    private static final String[] SMALL = {"64", "96"};

    @TempDir
    Path tmp;
    private Path demoDir;

    @BeforeEach
    void demo() {
        demoDir = tmp.resolve("demo");
        DemoCheckpoint.ensure(demoDir); // once here, so the child only opens it
        System.setProperty(DemoCheckpoint.DIR_PROPERTY, demoDir.toString());
    }

    @Test
    void killedRunKeepsThePreviousVideoAndItsLeftoverIsRemovedByTheNextRun() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path video = out.resolve("v.mp4");
        assertEquals(0, generateHere("--chunks", "1", "--out", video.toString()));
        byte[] previous = Files.readAllBytes(video);

        long pid = generateAndKillAfterFirstChunk(video);

        assertArrayEquals(previous, Files.readAllBytes(video), "the previous complete video must be untouched");
        List<String> leftovers = namesIn(out);
        leftovers.remove("v.mp4");
        // the first chunk was appended before its progress line, so the partial video exists, hidden
        assertEquals(1, leftovers.size(), "the killed run's partial video: " + leftovers);
        assertTrue(leftovers.getFirst().matches("\\.v\\.mp4\\." + pid + "\\.[0-9]+\\.part"),
                "only the killed run's hidden partial file may remain: " + leftovers);

        assertEquals(0, generateHere("--chunks", "1", "--seed", "7", "--out", video.toString()));
        assertEquals(List.of("v.mp4"), namesIn(out), "the next run of the target removes the dead run's .part");
        assertFalse(Arrays.equals(previous, Files.readAllBytes(video)), "the new video replaced the old");
    }

    @Test
    void killedRunWithoutAPreviousVideoLeavesNoVideo() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path video = out.resolve("fresh.mp4");
        generateAndKillAfterFirstChunk(video);
        assertFalse(Files.exists(video), "no video may appear at the target name");
        for (String name : namesIn(out)) {
            assertTrue(name.startsWith(".fresh.mp4.") && name.endsWith(".part"), "unexpected file " + name);
        }
    }

    /** Runs {@code generate} in this JVM (cheaper than a child); returns the exit code. */
    private static int generateHere(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] words = new String[args.length + 5];
        words[0] = "generate";
        System.arraycopy(args, 0, words, 1, args.length);
        System.arraycopy(new String[] {"--width", SMALL[0], "--height", SMALL[1]}, 0, words, args.length + 1, 4);
        int code = Main.run(words, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return code;
    }

    /**
     * Starts {@code generate --chunks 40 --out video} in a new JVM on this test's class path, waits for its
     * first progress line (so the video is being written), kills it with SIGKILL and waits for it to die.
     *
     * @return the child's pid
     */
    private long generateAndKillAfterFirstChunk(Path video) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // surefire may run tests from a manifest-only jar; this property holds the real class path
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-D" + DemoCheckpoint.DIR_PROPERTY + "=" + demoDir, "-cp", classPath,
                "chameleon.runtime.cli.Main", "generate", "--chunks", Integer.toString(CHUNKS),
                "--out", video.toString(), "--width", SMALL[0], "--height", SMALL[1]);
        pb.redirectError(tmp.resolve("child-" + video.getFileName() + ".err").toFile());
        Process child = pb.start();
        try {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the pipe closes when the child is killed
                }
                lines.add("<eof>");
            });
            String first = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FIRST_CHUNK_TIMEOUT_S);
            while (first == null && System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line == null) {
                    continue;
                }
                assertFalse(line.equals("<eof>"), "child ended before its first chunk; stderr: "
                        + Files.readString(tmp.resolve("child-" + video.getFileName() + ".err")));
                if (line.startsWith("chunk 1/" + CHUNKS + ":")) {
                    first = line;
                }
            }
            assertNotNull(first, "no progress line within " + FIRST_CHUNK_TIMEOUT_S + " s");
            assertFalse(Files.exists(video) && !child.isAlive(), "child finished before the kill");
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "killed child did not exit");
            assertTrue(child.exitValue() != 0, "child was killed, not finished");
            reader.join(5_000);
            return child.pid();
        } finally {
            child.destroyForcibly();
        }
    }

    private static List<String> namesIn(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return new ArrayList<>(files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
