package chameleon.weights;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of one safetensors file, parsed and checked against the size of the data area that
 * follows it. Checks are those of the reference (Rust) implementation: UTF-8, a single JSON object,
 * known dtypes, byte sizes matching shape × dtype, and tensor byte ranges that, sorted by offset, tile
 * the data area exactly (no overlap, no hole, nothing left over). Duplicate names are refused.
 *
 * @param metadata the optional {@code __metadata__} string map (empty if absent)
 * @param entries  tensors in header order
 */
record SafetensorsHeader(Map<String, String> metadata, Map<String, Entry> entries) {

    /** The header key that holds free-form string metadata instead of a tensor. */
    static final String METADATA_KEY = "__metadata__";

    /**
     * One tensor: its declared info and its byte range {@code [begin, end)} relative to the start of the
     * data area.
     */
    record Entry(TensorInfo info, long begin, long end) {
    }

    /**
     * Jackson's default limits (20 MB strings, 50 KB names) are below what a legal 100 MB header may
     * hold; the header size itself is the bound that matters, and it is checked before parsing.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .build())
            .build();

    /**
     * Parses and checks a header.
     *
     * @param file     the file, for messages
     * @param json     the header bytes (without the 8-byte length prefix)
     * @param dataSize bytes in the data area after the header
     */
    static SafetensorsHeader parse(Path file, byte[] json, long dataSize) {
        String text;
        try {
            // Strict decoding: a header that is not valid UTF-8 is refused, never patched with U+FFFD.
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(json))
                    .toString();
        } catch (CharacterCodingException e) {
            throw error(file, null, "header is not valid UTF-8 (" + e.getMessage() + ")");
        }
        // The reference refuses a header that does not start with '{' (even with leading whitespace).
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw error(file, null, "header must be a JSON object starting with '{', found "
                    + (text.isEmpty() ? "an empty header" : "'" + text.charAt(0) + "'"));
        }
        SafetensorsHeader header;
        try (JsonParser p = JSON.createParser(text)) {
            header = parseObject(file, p);
            // Only whitespace (the writers' space padding) may follow the object.
            if (p.nextToken() != null) {
                throw error(file, null, "header has content after its JSON object at "
                        + where(p));
            }
        } catch (JsonProcessingException e) {
            throw error(file, null, "header is not valid JSON: " + e.getOriginalMessage()
                    + " at " + (e.getLocation() == null ? "?" : "line " + e.getLocation().getLineNr()
                    + " column " + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot parse header: " + e.getMessage(), e);
        }
        header.checkLayout(file, dataSize);
        return header;
    }

    private static SafetensorsHeader parseObject(Path file, JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw error(file, null, "header is not a JSON object");
        }
        Map<String, String> metadata = null;
        Map<String, Entry> entries = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals(METADATA_KEY)) {
                if (metadata != null) {
                    throw error(file, null, "header has two " + METADATA_KEY + " entries");
                }
                metadata = parseMetadata(file, p);
            } else {
                if (entries.containsKey(name)) {
                    throw error(file, name, "tensor name appears twice in the header");
                }
                entries.put(name, parseEntry(file, name, p));
            }
        }
        // The loop ends at the object's END_OBJECT: the parser itself refuses anything else there.
        return new SafetensorsHeader(
                metadata == null ? Map.of() : Collections.unmodifiableMap(metadata),
                Collections.unmodifiableMap(entries));
    }

    /** {@code __metadata__}: a flat string → string object, or null (treated as absent). */
    private static Map<String, String> parseMetadata(Path file, JsonParser p) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return metadata;
        }
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(file, null, METADATA_KEY + " must be an object of strings, found " + p.currentToken());
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw error(file, null, METADATA_KEY + " value of key '" + key + "' must be a string, found "
                        + p.currentToken());
            }
            if (metadata.put(key, p.getText()) != null) {
                throw error(file, null, METADATA_KEY + " has key '" + key + "' twice");
            }
        }
        return metadata;
    }

    /** {@code {"dtype": "BF16", "shape": [3072, 48], "data_offsets": [begin, end]}}; other keys are ignored. */
    private static Entry parseEntry(Path file, String name, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(file, name, "entry must be an object with dtype, shape and data_offsets, found "
                    + p.currentToken());
        }
        DType dtype = null;
        int[] dims = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            switch (key) {
                case "dtype" -> {
                    requireFirst(file, name, key, dtype);
                    if (p.currentToken() != JsonToken.VALUE_STRING) {
                        throw error(file, name, "dtype must be a string, found " + p.currentToken());
                    }
                    dtype = DType.fromSafetensorsName(p.getText());
                    if (dtype == null) {
                        throw error(file, name, "unknown dtype \"" + p.getText()
                                + "\", expected one of F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL");
                    }
                }
                case "shape" -> {
                    requireFirst(file, name, key, dims);
                    List<Long> values = parseIntArray(file, name, key, p);
                    dims = new int[values.size()];
                    for (int i = 0; i < dims.length; i++) {
                        long d = values.get(i);
                        if (d > Integer.MAX_VALUE) {
                            throw error(file, name, "shape dimension " + d + " exceeds " + Integer.MAX_VALUE);
                        }
                        dims[i] = (int) d;
                    }
                }
                case "data_offsets" -> {
                    requireFirst(file, name, key, offsets);
                    List<Long> values = parseIntArray(file, name, key, p);
                    if (values.size() != 2) {
                        throw error(file, name, "data_offsets must be [begin, end], found " + values.size()
                                + " numbers");
                    }
                    offsets = new long[] {values.get(0), values.get(1)};
                }
                default -> p.skipChildren(); // the reference ignores unknown keys too
            }
        }
        if (dtype == null || dims == null || offsets == null) {
            throw error(file, name, "entry lacks "
                    + (dtype == null ? "dtype" : dims == null ? "shape" : "data_offsets"));
        }
        Shape shape = Shape.of(dims);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw error(file, name, "data_offsets [" + begin + ", " + end + "] have begin > end");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(shape.numel(), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw error(file, name, "shape " + shape + " × " + dtype + " overflows a 64-bit byte count");
        }
        if (end - begin != expectedBytes) {
            throw error(file, name, "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes, expected " + expectedBytes + " (shape " + shape + " × " + dtype + " "
                    + dtype.byteSize() + " bytes)");
        }
        return new Entry(new TensorInfo(name, dtype, shape), begin, end);
    }

    private static void requireFirst(Path file, String name, String key, Object previous) {
        if (previous != null) {
            throw error(file, name, "entry has " + key + " twice");
        }
    }

    /** A JSON array of non-negative integers that fit in a long. */
    private static List<Long> parseIntArray(Path file, String name, String key, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error(file, name, key + " must be an array of non-negative integers, found " + p.currentToken());
        }
        List<Long> values = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
                    || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
                throw error(file, name, key + " must hold non-negative 64-bit integers, found "
                        + (p.currentToken() == JsonToken.VALUE_NUMBER_INT ? p.getText() : p.currentToken()));
            }
            values.add(p.getLongValue());
        }
        return values;
    }

    /**
     * Sorted by offset, the tensors must tile {@code [0, dataSize)}: each starts where the previous one
     * ended. This is what makes every byte of the file accounted for, as the reference requires.
     */
    private void checkLayout(Path file, long dataSize) {
        for (Entry e : entries.values()) {
            if (e.end > dataSize) {
                throw error(file, e.info.name(), "data_offsets [" + e.begin + ", " + e.end
                        + "] lie outside the data area of " + dataSize + " bytes");
            }
        }
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long cursor = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < cursor) {
                throw error(file, e.info.name(), "data_offsets [" + e.begin + ", " + e.end
                        + "] overlap tensor '" + previous.info.name() + "' [" + previous.begin + ", "
                        + previous.end + "]; expected the range to start at " + cursor);
            }
            if (e.begin > cursor) {
                throw error(file, e.info.name(), "data_offsets [" + e.begin + ", " + e.end
                        + "] leave a hole: bytes [" + cursor + ", " + e.begin
                        + ") of the data area belong to no tensor; expected the range to start at " + cursor);
            }
            cursor = e.end;
            previous = e;
        }
        if (cursor != dataSize) {
            throw error(file, null, "bytes [" + cursor + ", " + dataSize + ") at the end of the data area "
                    + "belong to no tensor: the tensors cover " + cursor + " bytes, expected " + dataSize);
        }
    }

    private static String where(JsonParser p) {
        var loc = p.currentLocation();
        return "line " + loc.getLineNr() + " column " + loc.getColumnNr();
    }

    static WeightsException error(Path file, String tensor, String what) {
        return new WeightsException(file + ": " + (tensor == null ? "" : "tensor '" + tensor + "': ") + what);
    }
}
