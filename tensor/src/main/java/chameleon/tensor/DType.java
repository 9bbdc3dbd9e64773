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

    /** Widens an IEEE binary16 bit pattern (exact). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Narrows to IEEE binary16 with round-to-nearest-even (Java's own IEEE conversion). */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }
}
