package chameleon.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private static Tensor i64(long... values) {
        MemorySegment seg = MemorySegment.ofArray(new long[values.length]);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, values[i]);
        }
        return Tensor.wrap(DType.I64, Shape.of(values.length), seg);
    }

    @Test
    void writerOutputReadsBackExactlyWithMetadata() throws IOException {
        float[] f32 = {1.5f, -2.25f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 0f};
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w.f32", Tensor.of(f32, 2, 3));                                   // [2, 3]
        tensors.put("w.bf16", Tensor.of(new float[] {1f, 3.140625f, -0.5f}, 3).convertTo(DType.BF16));
        tensors.put("w.f16", Tensor.of(new float[] {65504f, 0x1p-24f, -1f, 0.099975586f}, 2, 2).convertTo(DType.F16));
        tensors.put("steps", i64(1000, 936, Long.MIN_VALUE, Long.MAX_VALUE));
        tensors.put("scalar", Tensor.of(new float[] {7f}));                            // shape []
        tensors.put("empty", Tensor.zeros(0, 5));                                       // no bytes
        Map<String, String> metadata = Map.of("format", "pt", "json", "{\"a\": [1, 2], \"ü\": \"é\"}");
        Path file = dir.resolve("round.safetensors");

        SafetensorsWriter.write(file, tensors, metadata);

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8, "data area starts 8-byte aligned");
        long dataBytes = 6 * 4 + 3 * 2 + 4 * 2 + 4 * 8 + 4;
        assertEquals(8 + headerLength + dataBytes, bytes.length);

        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertEquals(List.of("w.f32", "w.bf16", "w.f16", "steps", "scalar", "empty"), in.names());
            assertEquals(metadata, in.metadata());
            assertEquals(new TensorInfo("w.f32", DType.F32, Shape.of(2, 3)), in.info("w.f32"));
            Tensor a = in.tensor("w.f32");
            assertTrue(a.segment().isMapped(), "tensors are views of the mapping, not heap copies");
            assertArrayEquals(f32, a.toFloatArray());
            Tensor b = in.tensor("w.bf16");
            assertEquals(DType.BF16, b.dtype());
            assertArrayEquals(new float[] {1f, 3.140625f, -0.5f}, b.toFloatArray());
            Tensor h = in.tensor("w.f16");
            assertEquals(Shape.of(2, 2), h.shape());
            assertArrayEquals(new float[] {65504f, 0x1p-24f, -1f, 0.099975586f}, h.toFloatArray());
            Tensor s = in.tensor("steps");
            assertEquals(DType.I64, s.dtype());
            assertEquals(1000, s.getLong(0));
            assertEquals(936, s.getLong(1));
            assertEquals(Long.MIN_VALUE, s.getLong(2));
            assertEquals(Long.MAX_VALUE, s.getLong(3));
            assertEquals(Shape.of(), in.info("scalar").shape());
            assertEquals(7f, in.tensor("scalar").getFloat(0));
            assertEquals(0, in.tensor("empty").numel());
            assertFalse(in.contains("nope"));
            WeightsException e = assertThrows(WeightsException.class, () -> in.tensor("nope"));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'nope'"), e.getMessage());
        }
        assertEquals(List.of("round.safetensors"), listing());
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytes() throws IOException {
        for (int nameLength = 1; nameLength <= 9; nameLength++) {
            Path file = dir.resolve("pad" + nameLength + ".safetensors");
            SafetensorsWriter.write(file, Map.of("x".repeat(nameLength), Tensor.zeros(1)), Map.of());
            byte[] bytes = Files.readAllBytes(file);
            int n = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8);
            String header = new String(bytes, 8, n, StandardCharsets.UTF_8);
            assertEquals(header, header.stripLeading());
            assertTrue(header.stripTrailing().endsWith("}"));
            assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
            assertEquals(4, bytes.length - 8 - n);
        }
    }

    @Test
    void rewritingReplacesTheFileAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, Map.of("a", Tensor.of(new float[] {1, 2}, 2)), Map.of());
        SafetensorsWriter.write(file, Map.of("b", Tensor.of(new float[] {3}, 1)), Map.of("v", "2"));
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertEquals(List.of("b"), in.names());
            assertEquals("2", in.metadata().get("v"));
        }
        assertEquals(List.of("model.safetensors"), listing());
    }

    @Test
    void failedWriteLeavesNoPartialFile() throws IOException {
        // The rename fails: the target is a non-empty folder. The temporary file must be gone afterwards.
        Path target = dir.resolve("busy.safetensors");
        Files.createDirectories(target.resolve("inside"));
        WeightsException e = assertThrows(WeightsException.class,
                () -> SafetensorsWriter.write(target, Map.of("a", Tensor.zeros(4)), Map.of()));
        assertTrue(e.getMessage().startsWith(target.toString()), e.getMessage());
        assertEquals(List.of("busy.safetensors"), listing());

        // Refused before anything is written: a tensor may not be called __metadata__.
        Path other = dir.resolve("other.safetensors");
        WeightsException reserved = assertThrows(WeightsException.class,
                () -> SafetensorsWriter.write(other, Map.of("__metadata__", Tensor.zeros(1)), Map.of()));
        assertTrue(reserved.getMessage().contains("'__metadata__'"), reserved.getMessage());
        assertEquals(List.of("busy.safetensors"), listing());

        // A missing folder.
        Path nowhere = dir.resolve("missing/x.safetensors");
        assertThrows(WeightsException.class, () -> SafetensorsWriter.write(nowhere, Map.of(), Map.of()));
        assertFalse(Files.exists(nowhere.getParent()));
    }

    @Test
    void tensorsAreInvalidAfterClose() throws IOException {
        Path file = dir.resolve("c.safetensors");
        SafetensorsWriter.write(file, Map.of("a", Tensor.zeros(3)), Map.of());
        SafetensorsFile in = SafetensorsFile.open(file);
        Tensor a = in.tensor("a");
        in.close();
        in.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> a.getFloat(0));
        WeightsException e = assertThrows(WeightsException.class, () -> in.tensor("a"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
