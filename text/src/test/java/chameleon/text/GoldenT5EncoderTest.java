package chameleon.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.TensorArchive;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The tiny umT5 encoder of the golden case, from the F32 safetensors and from the BF16 {@code .pth},
 * reproduces the official outputs at text length 24 and 512 within 1e-4, padding rows exactly 0.
 */
class GoldenT5EncoderTest {
    private static final float TOLERANCE = 1e-4f;
    private static final T5Config TINY = new T5Config(896, 64, 64, 4, 128, 3, 32, 128, 1e-6f);
    private static Path dir;
    private static TensorArchive golden;
    private static JsonNode caseJson;

    @BeforeAll
    static void load() throws Exception {
        dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden")).resolve("t5");
        Assumptions.assumeTrue(Files.isDirectory(dir), "SKIPPED: golden folder " + dir + " is absent");
        golden = TensorArchive.open(dir.resolve("t5_case.safetensors"));
        caseJson = new ObjectMapper().readTree(dir.resolve("t5_case.json").toFile());
    }

    @AfterAll
    static void close() throws Exception {
        if (golden != null) {
            golden.close();
        }
    }

    @Test
    void bucketTableIsExact() {
        RelativePositionBuckets b = new RelativePositionBuckets(32, 128);
        Tensor byOffset = golden.tensor("rel_bucket_by_offset_512");
        for (int i = 0; i < 1023; i++) {
            assertEquals(byOffset.getLong(i), b.bucket(i - 511), "offset " + (i - 511));
        }
        Tensor s24 = golden.tensor("s24_rel_bucket");
        int[][] table = b.table(24);
        for (int q = 0; q < 24; q++) {
            for (int k = 0; k < 24; k++) {
                assertEquals(s24.getLong(q * 24L + k), table[q][k]);
            }
        }
    }

    @Test
    void tokenizerGivesTheCaseIds() {
        T5Tokenizer tok = T5Tokenizer.fromFolder(dir);
        for (String s : new String[] {"s24", "s512"}) {
            Tensor ids = golden.tensor(s + "_ids");
            Tensor mask = golden.tensor(s + "_mask");
            int len = ids.dim(1);
            for (int b = 0; b < 4; b++) {
                TokenizedPrompt p = tok.encode(caseJson.path("prompts").get(b).asText(), len);
                assertArrayEquals(row(ids, b, len), p.ids(), s + " prompt " + b);
                assertArrayEquals(row(mask, b, len), p.mask(), s + " prompt " + b);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t5.safetensors", "t5.pth"})
    void encoderMatchesTheOfficialOutputs(String weights) throws Exception {
        try (TensorArchive archive = TensorArchive.open(dir.resolve(weights))) {
            T5Config config = T5Config.inferFrom(archive);
            assertEquals(TINY, config);
            assertEquals(32, config.expectedTensors().size(), "the golden README's tensor count");
            for (var e : config.expectedTensors().entrySet()) {
                assertEquals(e.getValue(), archive.info(e.getKey()).shape(), e.getKey());
            }
            assertEquals(242, T5Config.UMT5_XXL.expectedTensors().size(), "the real model's tensor count");
            UmT5Encoder encoder = new UmT5Encoder(archive, config, new CpuBackend());
            for (String s : new String[] {"s24", "s512"}) {
                Tensor ids = golden.tensor(s + "_ids");
                Tensor mask = golden.tensor(s + "_mask");
                int len = ids.dim(1);
                float rawDiff = 0;
                float outDiff = 0;
                for (int b = 0; b < 4; b++) {
                    int[] m = row(mask, b, len);
                    int kept = java.util.Arrays.stream(m).sum();
                    TokenizedPrompt p = new TokenizedPrompt(row(ids, b, len), m, kept);
                    rawDiff = Math.max(rawDiff, maxDiff(encoder.encodeRaw(p), golden.tensor(s + "_out_raw"), b));
                    Tensor out = encoder.encode(p);
                    outDiff = Math.max(outDiff, maxDiff(out, golden.tensor(s + "_out"), b));
                    for (long i = (long) kept * 64; i < (long) len * 64; i++) {
                        assertEquals(0, Float.floatToRawIntBits(out.getFloat(i)), "padding row not exactly +0.0");
                    }
                }
                System.out.printf("golden t5 %s %s: max|diff| out_raw %.3g, out %.3g%n", weights, s, rawDiff, outDiff);
                assertTrue(rawDiff <= TOLERANCE, s + " out_raw diff " + rawDiff);
                assertTrue(outDiff <= TOLERANCE, s + " out diff " + outDiff);
            }
        }
    }

    private static float maxDiff(Tensor actual, Tensor expected, int batch) {
        long n = actual.numel();
        float max = 0;
        for (long i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(actual.getFloat(i) - expected.getFloat(batch * n + i)));
        }
        return max;
    }

    private static int[] row(Tensor t, int b, int len) {
        int[] out = new int[len];
        for (int i = 0; i < len; i++) {
            out[i] = (int) t.getLong((long) b * len + i);
        }
        return out;
    }
}
