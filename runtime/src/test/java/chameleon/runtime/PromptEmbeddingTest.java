package chameleon.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsWriter;
import chameleon.weights.WeightsException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a precomputed prompt embedding, and every refusal naming the file, the tensor and the expectation. */
class PromptEmbeddingTest {
    private static final int TEXT_DIM = 4;

    @TempDir
    Path tmp;

    private Path file(String fileName, Map<String, Tensor> tensors) {
        Path p = tmp.resolve(fileName);
        SafetensorsWriter.write(p, tensors, Map.of());
        return p;
    }

    private Path single(String name, Tensor t) {
        return file(name + ".safetensors", Map.of(name, t));
    }

    /** [rows, TEXT_DIM] with value i·0.25 at flat index i (exact in BF16 and F16 for small i). */
    private static Tensor ramp(int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 0.25f;
        }
        return t;
    }

    private WeightsException refused(Path p) {
        return assertThrows(WeightsException.class, () -> PromptEmbedding.load(p, TEXT_DIM));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void loadsF32Bf16AndF16AsF32() {
        Tensor expected = ramp(3, TEXT_DIM);
        for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            Path p = single("emb_" + dtype, expected.convertTo(dtype));
            Tensor t = PromptEmbedding.load(p, TEXT_DIM);
            assertEquals(DType.F32, t.dtype());
            assertEquals(Shape.of(3, TEXT_DIM), t.shape());
            assertArrayEquals(expected.array(), t.array(), 0f, dtype.toString());
        }
    }

    @Test
    void acceptsALeadingBatchOfOne() {
        Tensor t = PromptEmbedding.load(single("prompt_embeds", ramp(1, 5, TEXT_DIM)), TEXT_DIM);
        assertEquals(Shape.of(5, TEXT_DIM), t.shape());
        assertArrayEquals(ramp(5, TEXT_DIM).array(), t.array(), 0f);
    }

    @Test
    void picksPromptEmbedsThenContextAmongSeveralTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("other", Tensor.zeros(2, TEXT_DIM));
        m.put("context", Tensor.zeros(7, TEXT_DIM));
        m.put("prompt_embeds", ramp(3, TEXT_DIM));
        assertEquals(3, PromptEmbedding.load(file("both.safetensors", m), TEXT_DIM).dim(0));
        m.remove("prompt_embeds");
        assertEquals(7, PromptEmbedding.load(file("context.safetensors", m), TEXT_DIM).dim(0));
    }

    @Test
    void severalTensorsWithoutAKnownNameAreListed() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.zeros(2, TEXT_DIM));
        m.put("b", Tensor.zeros(2, TEXT_DIM));
        Path p = file("ambiguous.safetensors", m);
        assertMentions(refused(p), p.toString(), "2 tensors [a, b]", "prompt_embeds or context");
    }

    @Test
    void anEmptyFileIsRefused() {
        Path p = file("empty.safetensors", Map.of());
        assertMentions(refused(p), p.toString(), "holds no tensors");
    }

    @Test
    void aWidthOtherThanTextDimIsRefused() {
        Path p = single("prompt_embeds", ramp(3, 5));
        assertMentions(refused(p), p.toString(), "'prompt_embeds'", "width 5", "text_dim 4");
    }

    @Test
    void aWrongRankOrBatchIsRefused() {
        Path rank1 = single("flat", ramp(TEXT_DIM));
        assertMentions(refused(rank1), rank1.toString(), "'flat'", "[4]", "expected [L, 4] or [1, L, 4]");
        Path batch2 = single("batched", ramp(2, 3, TEXT_DIM));
        assertMentions(refused(batch2), "'batched'", "[2, 3, 4]", "expected [L, 4] or [1, L, 4]");
    }

    @Test
    void noRowsIsRefused() {
        Path p = single("context", Tensor.zeros(0, TEXT_DIM));
        assertMentions(refused(p), p.toString(), "'context'", "L = 0", "at least one");
    }

    @Test
    void nanAndInfinityAreRefusedWithTheirPosition() {
        Tensor nan = ramp(3, TEXT_DIM);
        nan.array()[6] = Float.NaN;
        Path p = single("nan", nan);
        assertMentions(refused(p), p.toString(), "'nan'", "1 non-finite value", "NaN at [1, 2]", "expected finite");
        Tensor inf = ramp(3, TEXT_DIM);
        inf.array()[9] = Float.NEGATIVE_INFINITY;
        inf.array()[10] = Float.POSITIVE_INFINITY;
        Path q = single("inf", inf.convertTo(DType.BF16));
        assertMentions(refused(q), q.toString(), "'inf'", "2 non-finite values", "-Infinity at [2, 1]");
    }

    @Test
    void anIntegerTensorIsRefused() {
        Tensor ints = Tensor.wrap(DType.I64, Shape.of(3, TEXT_DIM), MemorySegment.ofArray(new long[3 * TEXT_DIM]));
        Path p = single("token_ids", ints);
        assertMentions(refused(p), p.toString(), "'token_ids'", "dtype I64", "F32, BF16 or F16");
    }

    @Test
    void aMissingFileIsNamed() {
        Path p = tmp.resolve("absent.safetensors");
        assertMentions(refused(p), p.toString());
    }

    @Test
    void zerosHasTheRequestedShapeAndRefusesEmptySizes() {
        Tensor z = PromptEmbedding.zeros(16, 64);
        assertEquals(Shape.of(16, 64), z.shape());
        for (float v : z.array()) {
            assertEquals(0f, v);
        }
        assertThrows(IllegalArgumentException.class, () -> PromptEmbedding.zeros(0, 64));
        assertThrows(IllegalArgumentException.class, () -> PromptEmbedding.zeros(16, 0));
    }
}
