package chameleon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.PromptEmbedding;
import chameleon.runtime.cli.Main;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsFile;
import chameleon.weights.TensorArchive;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code encode-prompt} and {@code generate --prompt TEXT} on the golden tiny umT5: the written embedding is
 * the official {@code prompt_embeds}, and a text prompt drives the demo end to end.
 */
class PromptCommandsTest {
    @TempDir
    Path tmp;
    private Path t5;

    private record Result(int code, String out, String err) {
    }

    @BeforeEach
    void golden() {
        t5 = Path.of(System.getProperty("chameleon.golden", "../shared/golden")).resolve("t5");
        Assumptions.assumeTrue(Files.isDirectory(t5), "SKIPPED: golden folder " + t5 + " is absent");
    }

    private Result run(String... args) {
        System.setProperty(DemoCheckpoint.DIR_PROPERTY, tmp.resolve("demo").toString());
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o), new PrintStream(e));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void encodePromptWritesTheOfficialEmbedding() throws Exception {
        String[] prompts = new String[4];
        var json = new ObjectMapper().readTree(t5.resolve("t5_case.json").toFile()).path("prompts");
        for (int i = 0; i < 4; i++) {
            prompts[i] = json.get(i).asText();
        }
        try (TensorArchive golden = TensorArchive.open(t5.resolve("t5_case.safetensors"))) {
            Tensor expected = golden.tensor("s24_out"); // [4, 24, 64]
            Tensor lens = golden.tensor("s24_seq_lens");
            for (int b : new int[] {1, 3}) {
                Path file = tmp.resolve("p" + b + ".safetensors");
                Result r = run("encode-prompt", prompts[b], "--t5", t5.resolve("t5.pth").toString(),
                        "--tokenizer", t5.toString(), "--text-len", "24", "--out", file.toString());
                assertEquals(0, r.code(), r.err());
                assertTrue(r.out().contains("prompt_embeds [24, 64], " + lens.getLong(b) + " tokens"), r.out());
                try (SafetensorsFile f = SafetensorsFile.open(file)) {
                    Tensor got = f.tensor("prompt_embeds");
                    assertEquals(24 * 64, got.numel());
                    float max = 0;
                    for (int i = 0; i < 24 * 64; i++) {
                        max = Math.max(max, Math.abs(got.getFloat(i) - expected.getFloat(b * 24L * 64 + i)));
                        if (i >= lens.getLong(b) * 64) {
                            assertEquals(0, Float.floatToRawIntBits(got.getFloat(i)), "padding must be exactly 0.0");
                        }
                    }
                    assertTrue(max <= 1e-4f, "max |diff| " + max);
                }
                // generate's --prompt-embedding reads what encode-prompt wrote.
                assertEquals(24, PromptEmbedding.load(file, 64).dim(0));
            }
        }
    }

    @Test
    void generateTakesATextPrompt() {
        Path video = tmp.resolve("v.mp4");
        Result r = run("generate", "--chunks", "1", "--prompt", "A man wearing a denim jacket.",
                "--t5", t5.resolve("t5.safetensors").toString(), "--tokenizer", t5.toString(),
                "--out", video.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("prompt encoded: 8 tokens, [" + DemoCheckpoint.TEXT_LEN + ", 64]"), r.out());
        assertTrue(Files.exists(video));
    }

    @Test
    void theDemoTakesATextPromptThroughItsRandomEncoder() {
        Path video = tmp.resolve("d.mp4");
        String text = "a woman wearing a red striped shirt and a blue denim jacket turns to the camera slowly";
        Result r = run("generate", "--chunks", "1", "--prompt", text, "--out", video.toString());
        assertEquals(0, r.code(), r.err());
        // 17 words + EOS = 18 tokens; the demo's text length is 16, and Wan truncates, keeping EOS last.
        assertTrue(r.out().contains("prompt encoded by the demo's random text encoder: 16 tokens (truncated from 18"
                + " to the text length, as Wan truncates), [16, 64]"), r.out());
        assertTrue(Files.exists(video));
    }

    @Test
    void promptArgumentsAreChecked() {
        Result noEncoder = run("encode-prompt", "a red dress", "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(2, noEncoder.code());
        assertTrue(noEncoder.err().contains("--t5 PATH --tokenizer DIR, or --checkpoint DIR"), noEncoder.err());
        Result both = run("generate", "--prompt", "x", "--prompt-embedding", "p.safetensors");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("not both"), both.err());
        Result half = run("encode-prompt", "x", "--t5", "t5.pth", "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(2, half.code());
        assertTrue(half.err().contains("--t5 and --tokenizer go together"), half.err());
        Result noOut = run("encode-prompt", "x");
        assertEquals(2, noOut.code());
        Result badTokenizer = run("encode-prompt", "x", "--t5", t5.resolve("t5.pth").toString(), "--tokenizer",
                tmp.resolve("none").toString(), "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(1, badTokenizer.code());
        assertTrue(badTokenizer.err().contains("tokenizer folder does not exist"), badTokenizer.err());
    }
}
