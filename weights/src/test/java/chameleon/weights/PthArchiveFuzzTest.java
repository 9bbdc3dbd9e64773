package chameleon.weights;

import static chameleon.weights.PthFixture.f32;
import static chameleon.weights.PthFixture.half;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing: every mutant of a small valid checkpoint either loads, with every tensor
 * readable end to end, or is refused with a {@link WeightsException}. Anything else (another exception,
 * an OutOfMemoryError, a hang past the timeout) fails the test and names the seed and iteration.
 */
class PthArchiveFuzzTest {
    private static final long SEED = 0x5eed_7042L;
    private static final int ITERATIONS = 10_000;

    @TempDir
    Path dir;

    /** Nested dict, memo references, BF16 with an offset, a non-contiguous F16 view, an I64 scalar. */
    static byte[] pickle() {
        return new PickleBuilder().proto(2).emptyDict().binput(0).mark()
                .str("generator").orderedDict().binput(1).mark()
                .str("w").tensor("FloatStorage", "0", new long[] {2, 3})
                .str("b").tensor("BFloat16Storage", "1", 4, 1, new long[] {3}, new long[] {1})
                .str("t").tensor("HalfStorage", "2", 4, 0, new long[] {2, 2}, new long[] {1, 2})
                .setitems()
                .emptyDict().str("_metadata").orderedDict().str("").emptyDict().str("version").integer(1)
                .setitem().setitem().setitem().build()
                .str("step").tensor("LongStorage", "3", new long[] {})
                .str("ema").binget(1)
                .str("lr").op('G').raw((byte) 0x3f, (byte) 0x50, (byte) 0x62, (byte) 0x4d, (byte) 0xd2, (byte) 0xf1, (byte) 0xa9, (byte) 0xfc)
                .setitems().stop().bytes();
    }

    static PthFixture fixture(byte[] pickle) {
        return new PthFixture("fuzz").pickle(pickle)
                .storage("0", f32(1, 2, 3, 4, 5, 6))
                .storage("1", half(DType.BF16, 1, 2, 3, 4))
                .storage("2", half(DType.F16, 1, 2, 3, 4))
                .storage("3", PthFixture.i64(1234));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyMutantLoadsOrIsRefusedWithAWeightsException() throws IOException {
        byte[] pickle = pickle();
        byte[] zip = fixture(pickle).zip();
        Path file = dir.resolve("fuzz.pth");

        Files.write(file, zip);
        try (PthArchive a = PthArchive.open(file)) {
            assertTrue(a.names().equals(java.util.List.of("generator.w", "generator.b", "generator.t", "step",
                    "ema.w", "ema.b", "ema.t")), a.names().toString());
        }

        Random random = new Random(SEED);
        int loaded = 0;
        int refused = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            // Half the mutants damage the pickle inside a well-formed zip (to reach the unpickler),
            // half damage the zip bytes themselves (headers, offsets, storages).
            byte[] mutant = random.nextBoolean() ? fixture(mutate(pickle, random)).zip() : mutate(zip, random);
            Files.write(file, mutant);
            try (PthArchive a = PthArchive.open(file)) {
                for (String name : a.names()) {
                    a.info(name);
                    Tensor t = a.tensor(name);
                    double sum = 0;
                    for (long k = 0; k < t.numel(); k++) {
                        sum += t.getFloat(k);
                    }
                    assertTrue(!Double.isNaN(sum) || t.dtype().isFloatingPoint());
                }
                loaded++;
            } catch (WeightsException e) {
                refused++;
                if (System.getenv("FUZZ_VERBOSE") != null) {
                    System.out.println("refused: " + e.getMessage());
                }
            } catch (Throwable e) {
                fail("seed " + SEED + ", iteration " + i + ": " + e, e);
            }
        }
        System.out.printf("fuzz: %d mutants loaded, %d refused%n", loaded, refused);
        // Both outcomes must really occur, or the mutations are too weak or too strong to mean anything.
        assertTrue(loaded > 500 && refused > 500, "loaded " + loaded + ", refused " + refused);
    }

    /** Mostly one, sometimes two to four random edits: flip bits, overwrite with boundary bytes, insert or delete runs. */
    static byte[] mutate(byte[] in, Random random) {
        byte[] b = in.clone();
        int edits = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
        for (int e = 0; e < edits && b.length > 0; e++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> {
                    byte[] boundary = {0, (byte) 0xff, 0x7f, (byte) 0x80, 1, '(', 'h', 'q', 'R', '.'};
                    b[at] = boundary[random.nextInt(boundary.length)];
                }
                case 2 -> {
                    int n = 1 + random.nextInt(4);
                    for (int k = 0; k < n && at + k < b.length; k++) {
                        b[at + k] = (byte) 0xff;
                    }
                }
                case 3 -> {
                    int n = 1 + random.nextInt(8);
                    byte[] grown = new byte[b.length + n];
                    System.arraycopy(b, 0, grown, 0, at);
                    for (int k = 0; k < n; k++) {
                        grown[at + k] = (byte) random.nextInt(256);
                    }
                    System.arraycopy(b, at, grown, at + n, b.length - at);
                    b = grown;
                }
                default -> {
                    int n = Math.min(1 + random.nextInt(8), b.length - at);
                    byte[] shrunk = new byte[b.length - n];
                    System.arraycopy(b, 0, shrunk, 0, at);
                    System.arraycopy(b, at + n, shrunk, at, b.length - at - n);
                    b = shrunk;
                }
            }
        }
        return b;
    }
}
