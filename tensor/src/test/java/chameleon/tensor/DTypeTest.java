package chameleon.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Exhaustive checks of the half-precision conversions. The narrowing direction is compared with an
 * independent reference: a binary search over the sorted table of every non-negative value of the
 * format, picking the nearest neighbour and, on a tie, the even bit pattern.
 */
class DTypeTest {

    @Test
    void everyBf16BitPatternRoundTripsExactly() {
        for (int b = 0; b < 65536; b++) {
            short bits = (short) b;
            float f = DType.bf16ToFloat(bits);
            assertEquals(b << 16, Float.floatToRawIntBits(f), "bf16 widening of 0x" + Integer.toHexString(b));
            assertEquals(bits, DType.floatToBf16(f), "bf16 round trip of 0x" + Integer.toHexString(b));
        }
    }

    @Test
    void everyF16BitPatternRoundTripsExactlyIncludingNanPayloads() {
        for (int h = 0; h < 65536; h++) {
            short bits = (short) h;
            float f = DType.f16ToFloat(bits);
            int exponent = (h >>> 10) & 0x1f;
            int mantissa = h & 0x3ff;
            boolean negative = (h & 0x8000) != 0;
            if (exponent == 0x1f && mantissa != 0) {
                // NaN: payload (signalling bit included) moves to the top of the float mantissa.
                assertEquals((negative ? 0xff800000 : 0x7f800000) | mantissa << 13, Float.floatToRawIntBits(f),
                        "NaN payload of 0x" + Integer.toHexString(h));
            } else {
                double magnitude = exponent == 0x1f ? Double.POSITIVE_INFINITY
                        : exponent == 0 ? mantissa * 0x1p-24
                        : (1 + mantissa / 1024.0) * Math.scalb(1.0, exponent - 15);
                double expected = negative ? -magnitude : magnitude;
                assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(f),
                        "f16 value of 0x" + Integer.toHexString(h));
            }
            assertEquals(bits, DType.floatToF16(f), "f16 round trip of 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void knownF16Roundings() {
        assertEquals(0x7bff, DType.floatToF16(65504f));                  // max finite
        assertEquals(0x7bff, DType.floatToF16(Math.nextDown(65520f)));   // just below the overflow tie
        assertEquals(0x7c00, DType.floatToF16(65520f));                  // tie: 65504 is odd → Inf
        assertEquals((short) 0xfc00, DType.floatToF16(-1e30f));
        assertEquals(0x0001, DType.floatToF16(0x1p-24f));                // smallest subnormal
        assertEquals(0x0000, DType.floatToF16(0x1p-25f));                // tie with zero → even (zero)
        assertEquals(0x0001, DType.floatToF16(Math.nextUp(0x1p-25f)));
        assertEquals(0x0002, DType.floatToF16(0x1.8p-24f));              // 1.5 ulp → tie → 2 (even)
        assertEquals(0x0400, DType.floatToF16(Math.nextDown(0x1p-14f))); // rounds up into the normals
        assertEquals(0x3c00, DType.floatToF16(1 + 0x1p-11f));            // tie → 1.0 (even)
        assertEquals(0x3c02, DType.floatToF16(1 + 3 * 0x1p-11f));        // tie → 1+2^-9 (even)
        assertEquals((short) 0x8000, DType.floatToF16(-0f));
    }

    @Test
    void knownBf16Roundings() {
        assertEquals(0x3f80, DType.floatToBf16(1 + 0x1p-8f));            // tie → even
        assertEquals(0x3f82, DType.floatToBf16(1 + 3 * 0x1p-8f));
        assertEquals(0x7f7f, DType.floatToBf16(Float.intBitsToFloat(0x7f7f7fff)));
        assertEquals(0x7f80, DType.floatToBf16(Float.intBitsToFloat(0x7f7f8000))); // tie → Inf
        assertEquals(0x7f80, DType.floatToBf16(Float.MAX_VALUE));
        assertEquals(0x0001, DType.floatToBf16(Float.intBitsToFloat(0x00008001)));  // float subnormal
        assertEquals(0x0000, DType.floatToBf16(Float.intBitsToFloat(0x00008000)));  // tie → zero
        assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(Float.intBitsToFloat(0x7f800001)))));
        assertTrue(Float.isNaN(DType.f16ToFloat(DType.floatToF16(Float.intBitsToFloat(0x7f800001)))));
    }

    @Test
    void floatToF16IsRoundToNearestEven() {
        checkAgainstReference(new Reference(0x7c00, DType::f16ToFloat), f -> DType.floatToF16(f) & 0xffff);
    }

    @Test
    void floatToBf16IsRoundToNearestEven() {
        checkAgainstReference(new Reference(0x7f80, DType::bf16ToFloat), f -> DType.floatToBf16(f) & 0xffff);
    }

    private interface Widen {
        float apply(short bits);
    }

    /**
     * Every non-negative finite value of a 16-bit format in bit-pattern order (which is value order),
     * followed by infinity standing for 2^(emax+1): IEEE 754 rounds to infinity exactly when the value,
     * rounded with an unbounded exponent, would reach that power of two.
     */
    private static final class Reference {
        final double[] values;
        final int infinity;

        Reference(int infinity, Widen widen) {
            this.infinity = infinity;
            values = new double[infinity + 1];
            for (int b = 0; b < infinity; b++) {
                values[b] = widen.apply((short) b);
            }
            // The top binade's spacing added once more to the largest finite value: 2^(emax+1).
            values[infinity] = 2 * values[infinity - 1] - values[infinity - 2];
        }

        /** The expected bit pattern for a float, by nearest-neighbour search. */
        int round(float f) {
            int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
            double x = Math.abs((double) f);
            if (x >= values[infinity]) {
                return sign | infinity;
            }
            int lo = 0;
            int hi = infinity; // invariant: values[lo] <= x < values[hi]
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (values[mid] <= x) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            double below = x - values[lo];
            double above = values[hi] - x; // exact: both sides have few significant bits
            int nearest = below < above ? lo : above < below ? hi : ((lo & 1) == 0 ? lo : hi);
            return sign | nearest;
        }
    }

    private static void checkAgainstReference(Reference ref, IntUnaryOperatorOnFloat convert) {
        // Every representable value, every midpoint between neighbours (the ties) and the floats just
        // either side of each, for both signs; then a large random sample of all float bit patterns.
        for (int b = 0; b < ref.infinity; b++) {
            float v = (float) ref.values[b];
            float mid = (float) ((ref.values[b] + ref.values[b + 1]) / 2);
            for (float f : new float[] {v, mid, Math.nextDown(mid), Math.nextUp(mid)}) {
                check(ref, convert, f);
                check(ref, convert, -f);
            }
        }
        SplittableRandom random = new SplittableRandom(20240611);
        for (int i = 0; i < 2_000_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(f)) {
                check(ref, convert, f);
            }
        }
        // Float subnormals and the float extremes.
        for (float f : new float[] {Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, Float.POSITIVE_INFINITY, 0f}) {
            check(ref, convert, f);
            check(ref, convert, -f);
        }
    }

    private static void check(Reference ref, IntUnaryOperatorOnFloat convert, float f) {
        int expected = ref.round(f);
        int actual = convert.apply(f);
        if (expected != actual) {
            assertEquals(Integer.toHexString(expected), Integer.toHexString(actual),
                    "rounding of " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
        }
    }

    @FunctionalInterface
    private interface IntUnaryOperatorOnFloat {
        int apply(float f);
    }
}
