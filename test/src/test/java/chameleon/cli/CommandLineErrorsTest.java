package chameleon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.cli.Main;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every CLI failure is one line naming what is wrong, with the documented exit code, and no stack trace. */
class CommandLineErrorsTest {
    @TempDir
    Path tmp;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o), new PrintStream(e));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private static void assertOneLine(Result r, int code, String... parts) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line expected: " + r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "\"" + p + "\" missing from: " + r.err());
        }
    }

    @Test
    void unknownCommandAndOptionAreUsageErrors() {
        assertOneLine(run("frobnicate"), 2, "unknown command \"frobnicate\"");
        assertOneLine(run("inspect", "x.safetensors", "--bogus"), 2, "inspect: unknown option --bogus");
        assertOneLine(run("replay", "case.safetensors"), 2, "--out RESULT.safetensors is required");
        assertOneLine(run("replay", "case.safetensors", "--out"), 2, "option --out needs a value");
    }

    @Test
    void serveRefusesBadPortsAndABusyPort() throws Exception {
        assertOneLine(run("serve", "--port", "-1"), 2, "serve: --port must be at least 0, got -1");
        assertOneLine(run("serve", "--port", "70000"), 2, "serve: --port must be at most 65535, got 70000");
        assertOneLine(run("serve", "--max-sessions", "0"), 2, "--max-sessions must be at least 1");
        assertOneLine(run("serve", "--frobnicate"), 2, "serve: unknown option --frobnicate");
        System.setProperty(chameleon.runtime.DemoCheckpoint.DIR_PROPERTY, tmp.resolve("demo").toString());
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertOneLine(run("serve", "--port", String.valueOf(taken.getLocalPort())), 1,
                    "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void missingAndBrokenCheckpointsNameTheFile() throws Exception {
        Path missing = tmp.resolve("nope.safetensors");
        assertOneLine(run("inspect", missing.toString()), 1, "nope.safetensors", "no such file");
        Path truncated = tmp.resolve("cut.safetensors");
        Files.write(truncated, new byte[] {1, 2, 3});
        assertOneLine(run("inspect", truncated.toString()), 1, "cut.safetensors");
        Path text = tmp.resolve("weights.pth");
        Files.writeString(text, "not a zip");
        assertOneLine(run("inspect", text.toString()), 1, "weights.pth");
    }

    @Test
    void checkFiniteReadsEveryWeightAndNamesTheBadTensors() {
        Path clean = tmp.resolve("clean.safetensors");
        SafetensorsWriter.write(clean, Map.of("w", Tensor.of(new float[] {1, 2}, 2)), Map.of());
        Result ok = run("inspect", clean.toString(), "--check-finite");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("finite:     every floating-point value"), ok.out());
        Path nan = tmp.resolve("nan.safetensors");
        SafetensorsWriter.write(nan, Map.of("w", Tensor.of(new float[] {1, Float.NaN}, 2)), Map.of());
        assertEquals(0, run("inspect", nan.toString()).code(), "without the flag only headers are read");
        assertOneLine(run("inspect", nan.toString(), "--check-finite"), 1, nan + ": 1 tensor holds NaN or infinite"
                + " values: w (1 of 2 values, the first NaN at flat index 1); expected finite weights");
    }

    @Test
    void debugAddsTheStackTrace() throws Exception {
        Path truncated = tmp.resolve("cut.safetensors");
        Files.write(truncated, new byte[] {1, 2, 3});
        Result r = run("inspect", truncated.toString(), "--debug");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("\tat chameleon."), r.err());
    }

    @Test
    void replayRefusesAnUnwritableOutputFolder() {
        Result r = run("replay", "whatever.safetensors", "--out", tmp.resolve("no/such/dir/r.safetensors").toString());
        assertOneLine(r, 1, "output folder does not exist or is not writable");
    }
}
