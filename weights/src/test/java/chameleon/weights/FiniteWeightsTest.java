package chameleon.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The opt-in NaN/Inf check names every bad tensor, in every float dtype, and passes clean or integer ones. */
class FiniteWeightsTest {
    @TempDir
    Path dir;

    private static Tensor in(DType dtype, float... values) {
        Tensor t = Tensor.wrap(dtype, Shape.of(values.length),
                MemorySegment.ofArray(new byte[values.length * dtype.byteSize()]));
        for (int i = 0; i < values.length; i++) {
            t.setFloat(i, values[i]);
        }
        return t;
    }

    private Path write(Map<String, Tensor> tensors) {
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of());
        return file;
    }

    @Test
    void cleanWeightsAndIntegerTensorsPass() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a.weight", in(DType.BF16, 1, -2, 3e38f));
        t.put("steps", Tensor.wrap(DType.I32, Shape.of(1), MemorySegment.ofArray(new int[] {-1})));
        try (TensorArchive a = TensorArchive.open(write(t))) {
            a.checkFinite();
        }
    }

    @Test
    void everyBadTensorIsNamedWithItsCountAndFirstValue() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("blocks.0.ffn.0.weight", in(DType.F32, 0, Float.NaN, 1, Float.NaN));
        t.put("blocks.0.norm.bias", in(DType.F32, 0, 1));
        t.put("head.weight", in(DType.BF16, Float.NEGATIVE_INFINITY));
        t.put("vae.conv.weight", in(DType.F16, 1, 2, Float.POSITIVE_INFINITY));
        Path file = write(t);
        try (TensorArchive a = TensorArchive.open(file)) {
            WeightsException e = assertThrows(WeightsException.class, a::checkFinite);
            assertEquals(file + ": 3 tensors hold NaN or infinite values: blocks.0.ffn.0.weight (2 of 4 values,"
                    + " the first NaN at flat index 1), head.weight (1 of 1 values, the first -Infinity at flat"
                    + " index 0), vae.conv.weight (1 of 3 values, the first Infinity at flat index 2); expected"
                    + " finite weights (a corrupt download or a broken conversion)", e.getMessage());
        }
    }

    @Test
    void longListsAreCut() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int i = 0; i < FiniteWeights.LISTED + 3; i++) {
            t.put("t" + i, in(DType.F32, Float.NaN));
        }
        try (TensorArchive a = TensorArchive.open(write(t))) {
            String m = assertThrows(WeightsException.class, a::checkFinite).getMessage();
            assertEquals(true, m.contains("13 tensors hold") && m.contains("t9 (") && !m.contains("t10 (")
                    && m.contains(", and 3 more;"), m);
        }
    }
}
