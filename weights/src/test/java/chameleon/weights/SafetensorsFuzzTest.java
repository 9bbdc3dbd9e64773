package chameleon.weights;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of the reader: 10 000 damaged copies of a valid file (bytes of the header
 * flipped, replaced, inserted or deleted, digits changed, byte ranges moved, names duplicated, the
 * length field rewritten, the file cut or extended). Each must either open with every tensor readable, or be refused with a
 * {@link WeightsException}; any other exception or error (OutOfMemoryError included) fails the test
 * and names the seed and iteration that reproduce it.
 */
class SafetensorsFuzzTest {

    private static final long SEED = 0x5afe_7e45_0125L;
    private static final int ITERATIONS = 10_000;
    private static final byte[] JSON_CHARS = "{}[],:\"0123456789-. eE\\ntfu".getBytes(StandardCharsets.US_ASCII);

    /** Message fragments of checks that the mutants must reach, each at least once. */
    private static final String[] REFUSAL_KINDS = {
        "expected at least 8", "runs past the end of the file", "exceeds the limit", "not valid JSON",
        "not valid UTF-8", "unknown dtype", "bytes, expected", "overlap tensor", "leave a hole",
        "at the end of the data area", "lie outside the data area", "appears twice", "begin > end",
        "must be a JSON object", "entry lacks"};

    @TempDir
    Path dir;

    /** A valid file with every dtype, a scalar, an empty tensor and metadata. */
    private byte[] baseFile() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("f32", Tensor.of(new float[] {1, -2, 3.5f, 4, 5, 6}, 2, 3));
        tensors.put("bf16", Tensor.of(new float[] {1, 2, 3, 4}, 4).convertTo(DType.BF16));
        tensors.put("f16", Tensor.of(new float[] {0.5f, -0.25f}, 1, 2).convertTo(DType.F16));
        tensors.put("scalar", Tensor.of(new float[] {42}));
        tensors.put("empty", Tensor.zeros(3, 0));
        for (DType d : new DType[] {DType.F64, DType.I64, DType.I32, DType.I16, DType.I8, DType.U8, DType.BOOL}) {
            byte[] raw = new byte[3 * d.byteSize()];
            Arrays.fill(raw, (byte) 1);
            tensors.put(d.name().toLowerCase(), Tensor.wrap(d, Shape.of(3), MemorySegment.ofArray(raw)));
        }
        Path file = dir.resolve("base.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of("note", "fuzz base", "json", "{\"k\": [1, 2]}"));
        return Files.readAllBytes(file);
    }

    @Test
    void mutatedFilesOpenCleanlyOrFailWithWeightsException() throws IOException {
        byte[] base = baseFile();
        int headerLength = (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Path file = dir.resolve("mutant.safetensors");
        SplittableRandom random = new SplittableRandom(SEED);
        int opened = 0;
        int refused = 0;
        Map<String, Integer> refusals = new LinkedHashMap<>();
        for (String kind : REFUSAL_KINDS) {
            refusals.put(kind, 0);
        }
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] mutant = base;
            int roll = random.nextInt(10);
            int mutations = roll < 6 ? 1 : roll < 9 ? 2 : 3; // mostly single damage, which more often still opens
            for (int m = 0; m < mutations; m++) {
                mutant = mutate(mutant, headerLength, random);
            }
            Files.write(file, mutant);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (String name : f.names()) {
                    readAll(f.tensor(name));
                }
                f.metadata().forEach((k, v) -> assertTrue(k != null && v != null));
                opened++;
            } catch (WeightsException expected) {
                assertTrue(expected.getMessage().startsWith(file.toString()), expected.getMessage());
                refusals.replaceAll((kind, n) -> expected.getMessage().contains(kind) ? n + 1 : n);
                refused++;
            } catch (Throwable t) {
                Path keep = dir.resolve("failure-" + i + ".safetensors");
                Files.write(keep, mutant);
                fail("seed " + SEED + " iteration " + i + ": " + t + " (file kept at " + keep + ")", t);
            }
        }
        // Both outcomes must be common, or the mutations are not reaching the interesting checks.
        assertTrue(opened > 250, "opened " + opened + ", refused " + refused);
        assertTrue(refused > 3000, "opened " + opened + ", refused " + refused);
        refusals.forEach((kind, n) -> assertTrue(n > 0, "no mutant reached the check '" + kind + "': " + refusals));
    }

    private static double readAll(Tensor t) {
        double sum = 0;
        for (long i = 0; i < t.numel(); i++) {
            sum += t.dtype().isFloatingPoint() ? t.getFloat(i) : t.getLong(i);
        }
        return sum;
    }

    /** One random damage; header positions are drawn from the original header span (plus a little). */
    private static byte[] mutate(byte[] in, int headerLength, SplittableRandom r) {
        int headerEnd = Math.min(in.length, 8 + headerLength + 4);
        int pos = in.length > 8 ? 8 + r.nextInt(Math.max(1, headerEnd - 8)) : 0;
        pos = Math.min(pos, Math.max(0, in.length - 1));
        byte[] out;
        switch (r.nextInt(12)) {
            case 10, 11 -> out = rewriteHeader(in, r);
            case 0 -> { // flip one bit of the header
                out = in.clone();
                if (out.length > 0) {
                    out[pos] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> { // replace a header byte with a JSON-significant or random byte
                out = in.clone();
                if (out.length > 0) {
                    out[pos] = r.nextBoolean() ? JSON_CHARS[r.nextInt(JSON_CHARS.length)] : (byte) r.nextInt(256);
                }
            }
            case 2, 3 -> { // change a digit (shapes, offsets, sizes stay syntactically valid)
                out = in.clone();
                for (int tries = 0; tries < 64; tries++) {
                    int p = 8 + r.nextInt(Math.max(1, headerEnd - 8));
                    if (p < out.length && out[p] >= '0' && out[p] <= '9') {
                        out[p] = (byte) ('0' + r.nextInt(10));
                        break;
                    }
                }
            }
            case 4 -> { // insert bytes, adjusting the length field half of the time
                int n = 1 + r.nextInt(8);
                out = new byte[in.length + n];
                System.arraycopy(in, 0, out, 0, pos);
                for (int k = 0; k < n; k++) {
                    out[pos + k] = r.nextBoolean() ? JSON_CHARS[r.nextInt(JSON_CHARS.length)] : (byte) r.nextInt(256);
                }
                System.arraycopy(in, pos, out, pos + n, in.length - pos);
                if (r.nextBoolean() && out.length >= 8) {
                    addToLength(out, n);
                }
            }
            case 5 -> { // delete bytes, adjusting the length field half of the time
                int n = Math.min(1 + r.nextInt(8), in.length - pos);
                out = new byte[in.length - n];
                System.arraycopy(in, 0, out, 0, pos);
                System.arraycopy(in, pos + n, out, pos, in.length - pos - n);
                if (r.nextBoolean() && out.length >= 8) {
                    addToLength(out, -n);
                }
            }
            case 6 -> { // rewrite the length field
                out = in.clone();
                if (out.length >= 8) {
                    long length = switch (r.nextInt(5)) {
                        case 0 -> r.nextLong();
                        case 1 -> headerLength + r.nextInt(-16, 17);
                        case 2 -> out.length - 8 + r.nextInt(-2, 3);
                        case 3 -> SafetensorsFile.MAX_HEADER_BYTES + r.nextInt(-1, 2);
                        default -> r.nextInt(0, 64);
                    };
                    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
                }
            }
            case 7 -> out = Arrays.copyOf(in, r.nextInt(in.length + 1)); // truncate anywhere
            case 8 -> { // truncate or extend the data area a little
                int n = Math.max(0, in.length + r.nextInt(-8, 9));
                out = Arrays.copyOf(in, n);
            }
            default -> { // swap two header bytes
                out = in.clone();
                int other = 8 + r.nextInt(Math.max(1, headerEnd - 8));
                if (other < out.length && pos < out.length) {
                    byte b = out[pos];
                    out[pos] = out[other];
                    out[other] = b;
                }
            }
        }
        return out;
    }

    private static final Pattern OFFSETS = Pattern.compile("\"data_offsets\":\\[(\\d+),(\\d+)\\]");
    private static final Pattern ENTRY_NAME = Pattern.compile("\"([a-z0-9]+)\":\\{\"dtype\"");

    /**
     * Damage that keeps the header well-formed and each size consistent, so that it reaches the layout
     * checks: move one tensor's byte range (overlap, hole, out of bounds), or give a tensor another
     * tensor's name (duplicate). The length field is rewritten to the new header length.
     */
    private static byte[] rewriteHeader(byte[] in, SplittableRandom r) {
        if (in.length < 8) {
            return in;
        }
        long length = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (length < 0 || length > in.length - 8) {
            return in;
        }
        String header = new String(in, 8, (int) length, StandardCharsets.ISO_8859_1); // byte-preserving
        byte[] data = Arrays.copyOfRange(in, 8 + (int) length, in.length);
        List<MatchResult> matches;
        if (r.nextInt(3) > 0) {
            matches = OFFSETS.matcher(header).results().toList();
            if (matches.isEmpty()) {
                return in;
            }
            MatchResult m = matches.get(r.nextInt(matches.size()));
            long shift = r.nextInt(-12, 13);
            long begin = Long.parseLong(m.group(1)) + shift;
            long end = Long.parseLong(m.group(2)) + shift;
            header = header.substring(0, m.start()) + "\"data_offsets\":[" + begin + "," + end + "]"
                    + header.substring(m.end());
        } else {
            matches = ENTRY_NAME.matcher(header).results().toList();
            if (matches.size() < 2) {
                return in;
            }
            MatchResult victim = matches.get(r.nextInt(matches.size()));
            String other = matches.get(r.nextInt(matches.size())).group(1);
            header = header.substring(0, victim.start(1)) + other + header.substring(victim.end(1));
        }
        byte[] json = header.getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    private static void addToLength(byte[] file, int delta) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, b.getLong(0) + delta);
    }
}
