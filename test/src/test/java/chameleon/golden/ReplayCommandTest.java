package chameleon.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.cli.Main;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chameleon replay} end to end: the written result file matches the golden outputs. */
class ReplayCommandTest {
    @TempDir
    Path tmp;

    private Map<String, Tensor> replay(String caseName, String... extra) {
        Path dir = GoldenData.dir();
        Path out = tmp.resolve(caseName + "-result.safetensors");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        String[] args = new String[3 + 1 + extra.length];
        args[0] = "replay";
        args[1] = dir.resolve(caseName + ".safetensors").toString();
        args[2] = "--out";
        args[3] = out.toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        int code = Main.run(args, new PrintStream(o), new PrintStream(e));
        assertEquals(0, code, e.toString(StandardCharsets.UTF_8));
        assertTrue(o.toString(StandardCharsets.UTF_8).contains("tensors written to"));
        Map<String, Tensor> result = new LinkedHashMap<>();
        SafetensorsFile f = SafetensorsFile.open(out);
        for (String n : f.names()) {
            result.put(n, f.tensor(n).copy());
        }
        f.close();
        return result;
    }

    private static Map<String, Tensor> golden(String caseName) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(GoldenData.dir().resolve(caseName + ".safetensors"))) {
            for (String n : f.names()) {
                m.put(n, f.tensor(n).copy());
            }
        }
        return m;
    }

    @Test
    void ditCaseReplaysToAFileWithinTolerance() {
        GoldenData.assertWithin(golden("dit_case"), replay("dit_case"),
                List.of("x0_all", "c2_s3_v", "kv_l1_k", "kv_l1_v"), 1e-4);
    }

    @Test
    void vaeCaseReplaysFromThePthCheckpointWithinTolerance() {
        Path pth = GoldenData.dir().resolve("vae.pth");
        GoldenData.assertWithin(golden("vae_case"), replay("vae_case", "--weights", pth.toString()),
                List.of("enc_image_latent", "dec_out", "enc_video_latent"), 1e-4);
    }
}
