package chameleon.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The 40 strings of the golden tokenize case give exactly the ids and mask of Wan's official wrapper. */
class GoldenTokenizerTest {
    private static Path dir;
    private static JsonNode cases;
    private static int textLen;

    @BeforeAll
    static void load() throws Exception {
        dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden")).resolve("t5");
        Assumptions.assumeTrue(Files.isDirectory(dir), "SKIPPED: golden folder " + dir + " is absent");
        JsonNode root = new ObjectMapper().readTree(dir.resolve("tokenize_case.json").toFile());
        cases = root.path("cases");
        textLen = root.path("text_len").asInt();
        assertEquals(40, cases.size());
    }

    @Test
    void modelFileHoldsTheDeclaredLayout() {
        SentencePieceModel m = SentencePieceModel.read(dir.resolve("spiece.model"));
        assertEquals(800, m.pieces().size());
        assertEquals("nmt_nfkc", m.normalizerName());
        assertEquals(240_007, m.precompiledCharsmap().length);
        assertTrue(m.byteFallback());
        assertTrue(m.addDummyPrefix() && m.removeExtraWhitespaces() && m.escapeWhitespaces());
        assertEquals(Piece.Type.CONTROL, m.pieces().get(0).type());
        assertEquals(Piece.Type.UNKNOWN, m.pieces().get(2).type());
        assertEquals(new Piece("<0x00>", 0f, Piece.Type.BYTE), m.pieces().get(3));
        assertEquals("\u2581a", m.pieces().get(259).text());
        assertEquals(2, m.unkId());
    }

    @Test
    void cleaningMatchesFtfyAndTheWrapper() {
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.path("text").asText();
            if (!WanTextCleaner.fixText(text).equals(c.path("after_ftfy").asText())) {
                failures.add(c.path("name").asText() + " ftfy: " + WanTextCleaner.fixText(text));
            }
            if (!WanTextCleaner.clean(text).equals(c.path("cleaned").asText())) {
                failures.add(c.path("name").asText() + " cleaned: " + WanTextCleaner.clean(text));
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void folderTokenizerGivesTheRecordedIdsAndMask() {
        assertAllCases(T5Tokenizer.fromFolder(dir));
    }

    @Test
    void tokenizerJsonAloneGivesTheRecordedIdsAndMask() {
        TokenizerJson hf = TokenizerJson.read(dir.resolve("tokenizer.json"));
        assertEquals(803, hf.model().pieces().size());
        assertEquals(6, hf.added().size());
        SentencePieceModel spm = SentencePieceModel.read(dir.resolve("spiece.model"));
        assertArrayEquals(spm.precompiledCharsmap(), hf.model().precompiledCharsmap(), "same charsmap in both files");
        assertAllCases(T5Tokenizer.fromTokenizerJson(hf));
    }

    @Test
    void bareModelFileGivesTheRecordedIdsExceptSentinels() {
        // Without tokenizer.json the sentinels <extra_id_N> are unknown: only special_literals differs.
        T5Tokenizer tok = T5Tokenizer.fromModel(SentencePieceModel.read(dir.resolve("spiece.model")));
        int pass = 0;
        for (JsonNode c : cases) {
            if (java.util.Arrays.equals(ints(c.path("ids")), tok.encode(c.path("text").asText(), textLen).ids())) {
                pass++;
            }
        }
        assertEquals(39, pass);
    }

    private static void assertAllCases(T5Tokenizer tok) {
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String name = c.path("name").asText();
            TokenizedPrompt p = tok.encode(c.path("text").asText(), textLen);
            int[] want = ints(c.path("ids"));
            int[] unpadded = ints(c.path("ids_unpadded"));
            if (!java.util.Arrays.equals(want, p.ids())
                    || !java.util.Arrays.equals(ints(c.path("mask")), p.mask())
                    || !java.util.Arrays.equals(unpadded, tok.encodeUnpadded(c.path("text").asText()))) {
                failures.add(name + "\n  want " + java.util.Arrays.toString(unpadded) + "\n  got  "
                        + java.util.Arrays.toString(tok.encodeUnpadded(c.path("text").asText())));
            }
        }
        System.out.println("golden tokenizer: " + (cases.size() - failures.size()) + "/" + cases.size() + " pass");
        assertEquals(List.of(), failures);
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
