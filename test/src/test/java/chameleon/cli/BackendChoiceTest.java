package chameleon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Without the tornado module on the class path, {@code --backend tornado} says what to install. */
class BackendChoiceTest {
    @Test
    void tornadoWithoutTheModuleExplainsWhatToInstall() {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"replay", "x.safetensors", "--out", "/tmp/r.safetensors", "--backend", "tornado"},
                new PrintStream(o), new PrintStream(e));
        String err = e.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, err);
        assertTrue(err.contains("--backend tornado: this build has no TornadoVM backend"), err);
        assertTrue(err.contains("-Ptornado"), err);
        ByteArrayOutputStream o2 = new ByteArrayOutputStream(), e2 = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"replay", "x", "--out", "/tmp/r", "--backend", "cuda"},
                new PrintStream(o2), new PrintStream(e2)));
        assertTrue(e2.toString(StandardCharsets.UTF_8).contains("--backend must be cpu or tornado, got \"cuda\""));
    }

    @Test
    void kernelsNeedTheTornadoBackendAndAKnownMode() {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"replay", "x", "--out", "/tmp/r", "--kernels", "vendor"},
                new PrintStream(o), new PrintStream(e)));
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("--kernels applies to --backend tornado only"),
                e.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream o2 = new ByteArrayOutputStream(), e2 = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"replay", "x", "--out", "/tmp/r", "--backend", "tornado", "--kernels", "cublas"},
                new PrintStream(o2), new PrintStream(e2)));
        assertTrue(e2.toString(StandardCharsets.UTF_8).contains("--kernels must be java or vendor, got \"cublas\""),
                e2.toString(StandardCharsets.UTF_8));
    }
}
