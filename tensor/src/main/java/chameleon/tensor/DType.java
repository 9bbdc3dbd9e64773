package chameleon.tensor;

/**
 * Element types of tensors on disk and in memory, with exact conversions to and from {@code float}.
 *
 * <p>Names are the ones the safetensors header uses. Float conversions round to nearest, ties to even,
 * and keep NaN, infinities and subnormals, so every BF16 and F16 bit pattern survives a round trip
 * through {@code float}.
 */
public enum DType {
    F64(8, true),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The dtype for a safetensors header string such as {@code "BF16"}, or {@code null} if unknown. */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** Widens a bfloat16 bit pattern: bf16 is the upper half of an IEEE float32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Narrows to bfloat16 with round-to-nearest-even; NaN stays NaN with its sign and upper payload. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            int upper = bits >>> 16;
            if ((upper & 0x7f) == 0) {
                upper |= 0x40; // payload lived only in the dropped half: keep it a (quiet) NaN
            }
            return (short) upper;
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /**
     * Widens an IEEE binary16 bit pattern (exact). NaN payloads are kept bit for bit, signalling NaNs
     * included: {@code Float.float16ToFloat} sets the quiet bit of signalling NaNs, which would break
     * the F16 → float → F16 round trip, so the conversion is done on the bits here.
     */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | mantissa << 13); // Inf, or NaN with its payload
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa × 2^-24, exact in float (11 significant bits at most).
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(mantissa * 0x1p-24f));
        }
        // Normal: rebias the exponent from 15 to 127 (+112) and widen the 10-bit mantissa to 23 bits.
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }

    /**
     * Narrows to IEEE binary16 with round-to-nearest-even. Values from 65520 (= 65504 + half an ulp) up
     * round to infinity; results below 2^-14 become subnormals, rounded the same way. NaN stays NaN with
     * its sign and the upper 10 payload bits (the quiet bit is forced only if those bits are all zero).
     */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            int payload = (abs >>> 13) & 0x3ff;
            return (short) (sign | 0x7c00 | (payload == 0 ? 0x200 : payload));
        }
        if (abs >= 0x477ff000) {
            return (short) (sign | 0x7c00); // ≥ 65520, or infinite
        }
        if (abs >= 0x38800000) {
            // Normal in binary16 (≥ 2^-14). Adding 0xfff + lsb rounds the 13 dropped bits to nearest-even;
            // a carry into the exponent is the correct result (it can at most reach 65504's successor
            // exponent, excluded above).
            int rounded = abs + 0xfff + ((abs >>> 13) & 1);
            return (short) (sign | ((rounded >>> 13) - (112 << 10)));
        }
        // Subnormal or zero in binary16: the result is round(|value| · 2^24) as an integer count of the
        // smallest subnormal. |value| = significand · 2^(exponent − 150) with a 24-bit significand, so
        // the count is significand >> (126 − exponent), rounded to nearest-even.
        int exponent = abs >>> 23;
        int shift = 126 - exponent;
        if (exponent == 0 || shift > 24) {
            return (short) sign; // below 2^-25 (half the smallest subnormal): rounds to zero
        }
        int significand = (abs & 0x7fffff) | 0x800000;
        int count = significand >>> shift;
        int rest = significand & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (count & 1) == 1)) {
            count++; // may carry into the smallest normal, 0x400, which is the right encoding
        }
        return (short) (sign | count);
    }
}
