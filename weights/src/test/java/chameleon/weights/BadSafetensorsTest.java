package chameleon.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each broken file is refused with a message naming the file, the tensor and what was expected. */
class BadSafetensorsTest {

    @TempDir
    Path dir;

    /** A file with a correct length prefix, the given header and {@code dataBytes} zero bytes of data. */
    private Path file(String name, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return bytes(name, ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).array());
    }

    private Path bytes(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    /** Opening fails with a message that starts with the file path and holds every part, in order. */
    private static String assertRefused(Path file, String... parts) {
        WeightsException e = assertThrows(WeightsException.class, () -> SafetensorsFile.open(file).close());
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), "message must name the file: " + message);
        int from = 0;
        for (String part : parts) {
            int at = message.indexOf(part, from);
            assertTrue(at >= 0, "message lacks [" + part + "]: " + message);
            from = at + part.length();
        }
        return message;
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin
                + "," + end + "]}";
    }

    @Test
    void truncatedBelowTheLengthField() throws IOException {
        assertRefused(bytes("short.safetensors", new byte[5]), "file has 5 bytes, expected at least 8");
        assertRefused(bytes("empty.safetensors", new byte[0]), "file has 0 bytes, expected at least 8");
    }

    @Test
    void truncatedData() throws IOException {
        Path good = dir.resolve("good.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.zeros(4));
        tensors.put("b", Tensor.zeros(2, 3));
        SafetensorsWriter.write(good, tensors, Map.of());
        byte[] content = Files.readAllBytes(good);
        Path cut = bytes("cut.safetensors", Arrays.copyOf(content, content.length - 2));
        assertRefused(cut, "tensor 'b': data_offsets [16, 40] lie outside the data area of 38 bytes");
    }

    @Test
    void headerLengthPastTheEndOrOverTheLimit() throws IOException {
        byte[] content = ByteBuffer.allocate(50).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array();
        assertRefused(bytes("past.safetensors", content),
                "header length 1000 runs past the end of the file: expected at most 42 (file size 50 − 8)");
        content = ByteBuffer.allocate(50).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array();
        assertRefused(bytes("huge.safetensors", content),
                "header length 1099511627776 exceeds the limit of 100000000 bytes");
        content = ByteBuffer.allocate(50).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array();
        assertRefused(bytes("u64.safetensors", content),
                "header length 18446744073709551615 exceeds the limit of 100000000 bytes");
    }

    @Test
    void headerNotJsonOrNotAnObject() throws IOException {
        assertRefused(file("broken.safetensors", "{\"a\": {\"dtype\": ", 0), "header is not valid JSON");
        assertRefused(file("garbage.safetensors", "{not json}", 0), "header is not valid JSON");
        assertRefused(file("array.safetensors", "[1, 2]", 0),
                "header must be a JSON object starting with '{', found '['");
        assertRefused(file("string.safetensors", "\"text\"", 0), "header must be a JSON object", "found '\"'");
        assertRefused(file("zero.safetensors", "", 0), "found an empty header");
        assertRefused(file("leading.safetensors", " {}", 0), "starting with '{', found ' '");
        assertRefused(file("two.safetensors", "{} {}", 0), "header has content after its JSON object");
        assertRefused(file("nul.safetensors", "{}\0\0", 0), "header is not valid JSON");
        byte[] latin1 = "{\"caf\u00e9\":1}".getBytes(StandardCharsets.ISO_8859_1);
        assertRefused(bytes("latin1.safetensors", ByteBuffer.allocate(8 + latin1.length)
                .order(ByteOrder.LITTLE_ENDIAN).putLong(latin1.length).put(latin1).array()),
                "header is not valid UTF-8");
        assertRefused(file("scalar.safetensors", "{\"w\": 3}", 0),
                "tensor 'w': entry must be an object with dtype, shape and data_offsets, found VALUE_NUMBER_INT");
    }

    @Test
    void emptyHeaderObjectIsAValidEmptyFile() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file("nothing.safetensors", "{}      ", 0))) {
            assertEquals(0, f.names().size());
            assertEquals(Map.of(), f.metadata());
        }
    }

    @Test
    void unknownDtype() throws IOException {
        assertRefused(file("dtype.safetensors", "{" + entry("w", "F8_E4M3", "[2]", 0, 2) + "}", 2),
                "tensor 'w': unknown dtype \"F8_E4M3\", expected one of F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL");
        assertRefused(file("dtype2.safetensors", "{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
                "tensor 'w': dtype must be a string, found VALUE_NUMBER_INT");
    }

    @Test
    void byteSizeDiffersFromShapeTimesDtype() throws IOException {
        assertRefused(file("size.safetensors", "{" + entry("w", "F32", "[2,3]", 0, 20) + "}", 20),
                "tensor 'w': data_offsets [0, 20] hold 20 bytes, expected 24 (shape [2, 3] × F32 4 bytes)");
        assertRefused(file("bf16.safetensors", "{" + entry("w", "BF16", "[4]", 0, 16) + "}", 16),
                "tensor 'w': data_offsets [0, 16] hold 16 bytes, expected 8 (shape [4] × BF16 2 bytes)");
    }

    @Test
    void overlappingRanges() throws IOException {
        String header = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}";
        assertRefused(file("overlap.safetensors", header, 12),
                "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]; expected the range to start at 8");
        // The same tensor range twice under two names is an overlap as well.
        header = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 0, 8) + "}";
        assertRefused(file("alias.safetensors", header, 8), "overlap tensor '", "expected the range to start at 8");
    }

    @Test
    void holeBetweenOrAfterTensors() throws IOException {
        String header = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 12, 20) + "}";
        assertRefused(file("hole.safetensors", header, 20),
                "tensor 'b': data_offsets [12, 20] leave a hole: bytes [8, 12) of the data area belong to no tensor;"
                        + " expected the range to start at 8");
        assertRefused(file("tail.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + "}", 12),
                "bytes [8, 12) at the end of the data area belong to no tensor: the tensors cover 8 bytes,"
                        + " expected 12");
        assertRefused(file("start.safetensors", "{" + entry("a", "F32", "[2]", 4, 12) + "}", 12),
                "tensor 'a': data_offsets [4, 12] leave a hole: bytes [0, 4)");
    }

    @Test
    void offsetsOutsideTheFile() throws IOException {
        assertRefused(file("outside.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + "}", 4),
                "tensor 'a': data_offsets [0, 8] lie outside the data area of 4 bytes");
        assertRefused(file("far.safetensors", "{" + entry("a", "U8", "[2]", 9223372036854775805L,
                        9223372036854775807L) + "}", 4),
                "tensor 'a': data_offsets [9223372036854775805, 9223372036854775807] lie outside the data area");
        assertRefused(file("reversed.safetensors", "{" + entry("a", "F32", "[0]", 8, 0) + "}", 8),
                "tensor 'a': data_offsets [8, 0] have begin > end");
        assertRefused(file("bigint.safetensors", "{" + entry("a", "U8", "[1]", 0, 0).replace("[0,0]",
                        "[0,99999999999999999999]") + "}", 1),
                "tensor 'a': data_offsets must hold non-negative 64-bit integers, found 99999999999999999999");
        assertRefused(file("three.safetensors", "{" + entry("a", "U8", "[1]", 0, 1).replace("[0,1]", "[0,1,2]") + "}", 1),
                "tensor 'a': data_offsets must be [begin, end], found 3 numbers");
    }

    @Test
    void duplicateNames() throws IOException {
        String header = "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 4, 8) + "}";
        assertRefused(file("dup.safetensors", header, 8), "tensor 'a': tensor name appears twice in the header");
        assertRefused(file("dupmeta.safetensors", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
                "__metadata__ has key 'k' twice");
        assertRefused(file("dupfield.safetensors", "{\"w\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],"
                + "\"data_offsets\":[0,1]}}", 1), "tensor 'w': entry has dtype twice");
    }

    @Test
    void badShapesAndMetadata() throws IOException {
        assertRefused(file("neg.safetensors", "{" + entry("w", "F32", "[-1]", 0, 0) + "}", 0),
                "tensor 'w': shape must hold non-negative 64-bit integers, found -1");
        assertRefused(file("frac.safetensors", "{" + entry("w", "F32", "[1.5]", 0, 0) + "}", 0),
                "tensor 'w': shape must hold non-negative 64-bit integers, found VALUE_NUMBER_FLOAT");
        assertRefused(file("wide.safetensors", "{" + entry("w", "U8", "[4294967296]", 0, 0) + "}", 0),
                "tensor 'w': shape dimension 4294967296 exceeds 2147483647");
        assertRefused(file("overflow.safetensors", "{" + entry("w", "F64",
                        "[2147483647,2147483647,2147483647]", 0, 0) + "}", 0),
                "tensor 'w': shape [2147483647, 2147483647, 2147483647] × F64 overflows a 64-bit byte count");
        assertRefused(file("nooffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
                "tensor 'w': entry lacks data_offsets");
        assertRefused(file("meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 0),
                "__metadata__ value of key 'k' must be a string, found VALUE_NUMBER_INT");
        assertRefused(file("meta2.safetensors", "{\"__metadata__\":[\"k\"]}", 0),
                "__metadata__ must be an object of strings, found START_ARRAY");
    }

    @Test
    void missingFile() {
        Path nowhere = dir.resolve("nowhere.safetensors");
        assertRefused(nowhere, "file does not exist");
    }
}
