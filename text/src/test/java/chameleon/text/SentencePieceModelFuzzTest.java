package chameleon.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A corrupt {@code spiece.model} ends in a {@link TokenizerException} (or parses into something
 * harmless), never in another exception or a hang: seeded byte flips, truncations and splices of the
 * golden model, each then tokenising a sample text when it still parses.
 */
class SentencePieceModelFuzzTest {
    private static final long SEED = 20_261_125L;
    private static final int ROUNDS = 400;

    @Test
    void mutatedModelsFailCleanly() throws Exception {
        Path file = Path.of(System.getProperty("chameleon.golden", "../shared/golden")).resolve("t5/spiece.model");
        Assumptions.assumeTrue(Files.exists(file), "SKIPPED: " + file + " is absent");
        byte[] original = Files.readAllBytes(file);
        // The charsmap makes up most of the file; mutate the pieces and specs more often than its table.
        int hot = 12_100;
        Random random = new Random(SEED);
        int parsed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] bytes = mutate(original, random, hot);
            try {
                SentencePieceModel m = SentencePieceModel.parse(bytes);
                parsed++;
                T5Tokenizer.fromModel(m).encode("A model wears a red dress, caf\u00e9 \u4e00\u4f4d \ud83d\udc57", 32);
            } catch (TokenizerException expected) {
                // the only acceptable failure
            } catch (RuntimeException | StackOverflowError e) {
                fail("round " + round + " (seed " + SEED + "): " + e, e);
            }
        }
        System.out.println("fuzz: " + parsed + "/" + ROUNDS + " mutated models still parsed");
    }

    @Test
    void truncatedVarintAndOverlongLengthAreRejected() {
        assertThrows(TokenizerException.class, () -> SentencePieceModel.parse(new byte[] {(byte) 0x0A}));
        assertThrows(TokenizerException.class, () -> SentencePieceModel.parse(new byte[] {0x0A, 0x05, 0x0A}));
        assertThrows(TokenizerException.class, () -> SentencePieceModel.parse(new byte[] {(byte) 0x80}));
        assertThrows(TokenizerException.class, () -> SentencePieceModel.parse(new byte[0]));
    }

    @Test
    void minimalModelParses() {
        // pieces: <pad> CONTROL, </s> CONTROL, <unk> UNKNOWN, "▁a" score -1.0 (type left at its default NORMAL)
        byte[] model = concat(piece("<pad>", 3), piece("</s>", 3), piece("<unk>", 2), normalPiece("\u2581a"));
        SentencePieceModel m = SentencePieceModel.parse(model);
        assertEquals(new Piece("\u2581a", -1f, Piece.Type.NORMAL), m.pieces().get(3));
        assertEquals(2, m.unkId());
        assertEquals(0, m.precompiledCharsmap().length);
        // No charsmap and no byte fallback: "▁b" has no piece and becomes one fused <unk>.
        assertArrayEquals(new int[] {3, 2, 1}, T5Tokenizer.fromModel(m).encodeUnpadded("a b"));
    }

    private static byte[] piece(String text, int type) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] body = concat(new byte[] {0x0A, (byte) t.length}, t, new byte[] {0x18, (byte) type});
        return concat(new byte[] {0x0A, (byte) body.length}, body);
    }

    private static byte[] normalPiece(String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        // field 2, fixed32 little-endian -1.0f = 0xBF800000
        byte[] body = concat(new byte[] {0x0A, (byte) t.length}, t, new byte[] {0x15, 0, 0, (byte) 0x80, (byte) 0xBF});
        return concat(new byte[] {0x0A, (byte) body.length}, body);
    }

    private static byte[] mutate(byte[] original, Random random, int hot) {
        byte[] bytes = original.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                for (int i = 1 + random.nextInt(8); i > 0; i--) {
                    int at = random.nextInt(4) == 0 ? random.nextInt(bytes.length) : random.nextInt(hot);
                    bytes[at] = (byte) random.nextInt(256);
                }
            }
            case 1 -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
            case 2 -> {
                int at = random.nextInt(hot);
                bytes[at] = (byte) (0x80 | random.nextInt(128)); // a continuation byte: varints run on
            }
            default -> {
                int from = random.nextInt(hot);
                int to = random.nextInt(hot);
                int n = random.nextInt(64);
                System.arraycopy(original, from, bytes, to, Math.min(n, Math.min(bytes.length - to, bytes.length - from)));
            }
        }
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
