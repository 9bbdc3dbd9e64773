package chameleon.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TensorTest {

    private static Tensor iota(int... dims) {
        Tensor t = Tensor.zeros(dims);
        for (int i = 0; i < t.numel(); i++) {
            t.setFloat(i, i);
        }
        return t;
    }

    @Test
    void reshapeIsAViewOfTheSameMemory() {
        Tensor t = iota(2, 3, 4);                     // [2, 3, 4]
        Tensor flat = t.reshape(6, 4);                // [6, 4]
        assertEquals(Shape.of(6, 4), flat.shape());
        assertSame(t.array(), flat.array());
        flat.setFloat(5, -1f);
        assertEquals(-1f, t.getFloat(5));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(5, 5));
    }

    @Test
    void rowsIsAViewWithTheRightArrayOffset() {
        Tensor t = iota(5, 3);                        // [5, 3]
        Tensor middle = t.rows(1, 4);                 // [3, 3]: rows 1..3
        assertEquals(Shape.of(3, 3), middle.shape());
        assertSame(t.array(), middle.array());
        assertEquals(3, middle.arrayOffset());
        assertEquals(3f, middle.getFloat(0));
        assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8, 9, 10, 11}, middle.toFloatArray());

        Tensor inner = middle.rows(1, 3);             // rows 2..3 of t
        assertEquals(6, inner.arrayOffset());
        assertEquals(6f, inner.array()[inner.arrayOffset()]);
        Tensor reshaped = inner.reshape(3, 2);        // still starts at element 6
        assertEquals(6, reshaped.arrayOffset());

        middle.setFloat(0, 42f);                      // writes through to the parent
        assertEquals(42f, t.getFloat(3));
        assertEquals(0, t.rows(0, 0).numel());
        assertThrows(IndexOutOfBoundsException.class, () -> t.rows(4, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> t.rows(3, 2));
    }

    @Test
    void rowsOfAHalfPrecisionTensorSliceByElementSize() {
        Tensor bf16 = iota(4, 2).convertTo(DType.BF16); // [4, 2] BF16
        Tensor last = bf16.rows(3, 4);
        assertEquals(4, last.segment().byteSize());
        assertArrayEquals(new float[] {6, 7}, last.toFloatArray());
    }

    @Test
    void wrapChecksTheSegmentSizeAndReadsLittleEndian() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(8);
            seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 0x80);
            seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 1, (byte) 0x3f); // bf16 0x3f80 = 1.0
            Tensor t = Tensor.wrap(DType.BF16, Shape.of(4), seg);
            assertEquals(1f, t.getFloat(0));
            assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(DType.F32, Shape.of(3), seg));
        }
    }

    @Test
    void shapeNumelOverflowIsDetected() {
        assertThrows(ArithmeticException.class,
                () -> Shape.of(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE).numel());
        assertEquals(1, Shape.of().numel());
        assertEquals(0, Shape.of(3, 0, 5).numel());
    }
}
