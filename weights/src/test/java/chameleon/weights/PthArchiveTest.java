package chameleon.weights;

import static chameleon.weights.PthFixture.f32;
import static chameleon.weights.PthFixture.half;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built checkpoints: dtypes, views and copies, name flattening, and named refusals. */
class PthArchiveTest {

    @TempDir
    Path dir;

    /**
     * A state dict as torch.save writes it: an OrderedDict filled by SETITEMS, then BUILD with its
     * {@code _metadata}.
     */
    static byte[] stateDict(Consumer<PickleBuilder> entries) {
        PickleBuilder p = new PickleBuilder().proto(2).orderedDict().binput(0).mark();
        entries.accept(p);
        return p.setitems()
                .emptyDict().str("_metadata").orderedDict().str("").emptyDict().str("version").integer(1)
                .setitem().setitem().setitem().build().stop().bytes();
    }

    private PthArchive open(byte[] zip) throws IOException {
        Path file = dir.resolve("model.pth");
        Files.write(file, zip);
        return PthArchive.open(file);
    }

    private String refused(byte[] zip) throws IOException {
        Path file = dir.resolve("model.pth");
        Files.write(file, zip);
        WeightsException e = assertThrows(WeightsException.class, () -> PthArchive.open(file).close());
        assertTrue(e.getMessage().contains("model.pth"), e.getMessage());
        return e.getMessage();
    }

    private static float[] floats(Tensor t) {
        return t.toFloatArray();
    }

    @Test
    void contiguousF32IsAViewOfTheMappedFile() throws IOException {
        byte[] pickle = stateDict(p -> p.str("w").tensor("FloatStorage", "0", new long[] {2, 3}));
        try (PthArchive a = open(new PthFixture("model").pickle(pickle).storage("0", f32(0, 1, 2, 3, 4, -5.5f)).zip())) {
            assertEquals(List.of("w"), a.names());
            assertTrue(a.contains("w"));
            assertFalse(a.contains("_metadata"));
            assertEquals(new TensorInfo("w", DType.F32, Shape.of(2, 3)), a.info("w"));
            Tensor w = a.tensor("w");
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, -5.5f}, floats(w));
            assertTrue(w.segment().isMapped(), "stored entry must be a view of the mapping");
            assertTrue(w.segment().heapBase().isEmpty());
        }
    }

    @Test
    void bf16AndF16StoragesKeepTheirDtypeAndBits() throws IOException {
        float[] values = {1.5f, -2.25f, 0.0030517578f, 65504f};
        byte[] pickle = stateDict(p -> p
                .str("b").tensor("BFloat16Storage", "0", new long[] {4})
                .str("h").tensor("HalfStorage", "1", new long[] {2, 2}));
        byte[] zip = new PthFixture("model").pickle(pickle)
                .storage("0", half(DType.BF16, values)).storage("1", half(DType.F16, values)).zip();
        try (PthArchive a = open(zip)) {
            Tensor b = a.tensor("b");
            Tensor h = a.tensor("h");
            assertEquals(DType.BF16, b.dtype());
            assertEquals(DType.F16, h.dtype());
            assertEquals(Shape.of(2, 2), h.shape());
            for (int i = 0; i < values.length; i++) {
                assertEquals(DType.bf16ToFloat(DType.floatToBf16(values[i])), b.getFloat(i));
                assertEquals(values[i], h.getFloat(i)); // all exactly representable in f16
            }
            assertEquals(1.5f, b.getFloat(0));
            assertEquals(65536f, b.getFloat(3)); // 65504 rounds up in bf16
        }
    }

    @Test
    void integerAndBoolStorages() throws IOException {
        byte[] pickle = stateDict(p -> p
                .str("steps").tensor("LongStorage", "0", new long[] {3})
                .str("mask").tensor("BoolStorage", "1", new long[] {2}));
        byte[] zip = new PthFixture("model").pickle(pickle)
                .storage("0", PthFixture.i64(-1, 1L << 40, 7)).storage("1", new byte[] {1, 0}).zip();
        try (PthArchive a = open(zip)) {
            Tensor s = a.tensor("steps");
            assertEquals(DType.I64, s.dtype());
            assertEquals(-1, s.getLong(0));
            assertEquals(1L << 40, s.getLong(1));
            assertEquals(7, s.getLong(2));
            Tensor m = a.tensor("mask");
            assertEquals(DType.BOOL, m.dtype());
            assertEquals(1, m.getLong(0));
            assertEquals(0, m.getLong(1));
        }
    }

    @Test
    void storageOffsetGivesAViewInsideASharedStorage() throws IOException {
        // Two tensors viewing one storage, as torch.save writes slices of a bigger tensor.
        byte[] pickle = stateDict(p -> p
                .str("head").tensor("FloatStorage", "0", 6, 0, new long[] {2}, new long[] {1})
                .str("tail").tensor("FloatStorage", "0", 6, 2, new long[] {2, 2}, new long[] {2, 1}));
        try (PthArchive a = open(new PthFixture("model").pickle(pickle).storage("0", f32(0, 1, 2, 3, 4, 5)).zip())) {
            assertArrayEquals(new float[] {0, 1}, floats(a.tensor("head")));
            Tensor tail = a.tensor("tail");
            assertArrayEquals(new float[] {2, 3, 4, 5}, floats(tail));
            assertTrue(tail.segment().isMapped());
        }
    }

    @Test
    void nonContiguousStridesAreMaterialised() throws IOException {
        byte[] pickle = stateDict(p -> p
                .str("transposed").tensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3})
                .str("expanded").tensor("FloatStorage", "0", 6, 3, new long[] {2, 3}, new long[] {0, 1})
                .str("every_other").tensor("HalfStorage", "1", 6, 1, new long[] {2, 1}, new long[] {3, 7})
                .str("column").tensor("HalfStorage", "1", 6, 1, new long[] {2, 1}, new long[] {1, 7})
                .str("scalar").tensor("FloatStorage", "0", 6, 5, new long[] {}, new long[] {}));
        byte[] zip = new PthFixture("model").pickle(pickle)
                .storage("0", f32(0, 1, 2, 3, 4, 5)).storage("1", half(DType.F16, 10, 11, 12, 13, 14, 15)).zip();
        try (PthArchive a = open(zip)) {
            Tensor t = a.tensor("transposed");
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, floats(t));
            assertTrue(t.segment().heapBase().isPresent(), "a non-contiguous tensor is a heap copy");
            assertArrayEquals(new float[] {3, 4, 5, 3, 4, 5}, floats(a.tensor("expanded")));
            assertArrayEquals(new float[] {11, 14}, floats(a.tensor("every_other")));
            // The stride of an axis of length 1 does not matter (as in PyTorch): still a view.
            Tensor column = a.tensor("column");
            assertArrayEquals(new float[] {11, 12}, floats(column));
            assertTrue(column.segment().isMapped());
            assertArrayEquals(new float[] {5}, floats(a.tensor("scalar")));
            assertEquals(Shape.of(), a.info("scalar").shape());
        }
    }

    @Test
    void nestedDictsFlattenToDottedNamesAndNonTensorsAreSkipped() throws IOException {
        // {"generator": OrderedDict(model.w, model.b), "generator_ema": {model.w}, "step": 7,
        //  "config": "x", "history": [t, None]}
        byte[] pickle = new PickleBuilder().proto(2).emptyDict().binput(0).mark()
                .str("generator").orderedDict().mark()
                .str("model.w").tensor("FloatStorage", "0", new long[] {2})
                .str("model.b").tensor("FloatStorage", "1", new long[] {1})
                .setitems()
                .str("generator_ema").emptyDict()
                .str("model.w").tensor("FloatStorage", "2", new long[] {2}).setitem()
                .str("step").integer(7)
                .str("config").str("x")
                .str("history").emptyList().tensor("FloatStorage", "1", new long[] {1}).append().none().append()
                .setitems().stop().bytes();
        byte[] zip = new PthFixture("ckpt").pickle(pickle)
                .storage("0", f32(1, 2)).storage("1", f32(3)).storage("2", f32(4, 5)).zip();
        try (PthArchive a = open(zip)) {
            assertEquals(List.of("generator.model.w", "generator.model.b", "generator_ema.model.w", "history.0"), a.names());
            assertArrayEquals(new float[] {1, 2}, floats(a.tensor("generator.model.w")));
            assertArrayEquals(new float[] {4, 5}, floats(a.tensor("generator_ema.model.w")));
            assertArrayEquals(new float[] {3}, floats(a.tensor("history.0")));
        }
    }

    @Test
    void parametersAreTheirTensors() throws IOException {
        byte[] pickle = stateDict(p -> p.str("p")
                .global("torch._utils", "_rebuild_parameter").mark()
                .tensor("FloatStorage", "0", new long[] {2}).bool(true).orderedDict()
                .tuple().reduce());
        try (PthArchive a = open(new PthFixture("model").pickle(pickle).storage("0", f32(7, 8)).zip())) {
            assertArrayEquals(new float[] {7, 8}, floats(a.tensor("p")));
        }
    }

    @Test
    void compressedStorageIsReadAlone() throws IOException {
        byte[] pickle = stateDict(p -> p.str("w").tensor("FloatStorage", "0", new long[] {1000}));
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f;
        }
        byte[] zip = new PthFixture("model").pickle(pickle).storage("0", f32(values)).deflateStorages().zip();
        try (PthArchive a = open(zip)) {
            Tensor w = a.tensor("w");
            assertArrayEquals(values, floats(w));
            assertFalse(w.segment().isMapped());
        }
    }

    @Test
    void refusesViewsOutsideTheirStorageAndShortEntries() throws IOException {
        byte[] outside = stateDict(p -> p.str("w").tensor("FloatStorage", "0", 6, 5, new long[] {2}, new long[] {1}));
        String msg = refused(new PthFixture("model").pickle(outside).storage("0", f32(0, 1, 2, 3, 4, 5)).zip());
        assertTrue(msg.contains("reaches element 6 of a storage of 6"), msg);

        byte[] big = stateDict(p -> p.str("w").tensor("FloatStorage", "0", new long[] {1000}));
        msg = refused(new PthFixture("model").pickle(big).storage("0", f32(1, 2, 3)).zip());
        assertTrue(msg.contains("tensor w declares a F32 storage of 1000 elements (4000 bytes) but entry model/data/0 holds 12"), msg);

        msg = refused(new PthFixture("model").pickle(big).zip());
        assertTrue(msg.contains("needs storage entry model/data/0, which the zip lacks"), msg);

        byte[] huge = stateDict(p -> p.str("w").tensor("FloatStorage", "0", 1L << 40, 0,
                new long[] {1 << 20, 1 << 20}, new long[] {1 << 20, 1}));
        msg = refused(new PthFixture("model").pickle(huge).storage("0", f32(1)).deflateStorages().zip());
        assertTrue(msg.contains("declares a F32 storage of 1099511627776 elements"), msg);
    }

    @Test
    void refusesOverlappingStridesThatWouldExplode() throws IOException {
        byte[] pickle = stateDict(p -> p.str("w").tensor("FloatStorage", "0", 1, 0,
                new long[] {100_000, 100_000}, new long[] {0, 0}));
        try (PthArchive a = open(new PthFixture("model").pickle(pickle).storage("0", f32(1)).zip())) {
            WeightsException e = assertThrows(WeightsException.class, () -> a.tensor("w"));
            assertTrue(e.getMessage().contains("overlapping strides would expand 4 stored bytes to 40000000000"), e.getMessage());
        }
    }

    @Test
    void refusesUnsafeAndForeignFilesNamingThem() throws IOException {
        byte[] evil = new PickleBuilder().proto(2).global("os", "system").str("echo pwned").op(0x85).reduce().stop().bytes();
        String msg = refused(new PthFixture("model").pickle(evil).zip());
        assertTrue(msg.contains("model.pth (model/data.pkl)") && msg.contains("refusing global os.system"), msg);

        byte[] ok = stateDict(p -> p.str("w").tensor("FloatStorage", "0", new long[] {1}));
        msg = refused(new PthFixture("model").pickle(ok).storage("0", f32(1)).byteorder("big").zip());
        assertTrue(msg.contains("only little-endian"), msg);

        byte[] zip = new PthFixture("model").pickle(ok).storage("0", f32(1)).zip();
        for (int cut : new int[] {0, 10, zip.length / 2, zip.length - 1}) {
            msg = refused(Arrays.copyOf(zip, cut));
            assertTrue(msg.contains("zip") || msg.contains("truncated"), msg);
        }

        msg = refused(new PickleBuilder().proto(2).emptyDict().stop().bytes());
        assertTrue(msg.contains("pre-1.6 torch.save format"), msg);

        msg = refused(new PthFixture("model").pickle(new PickleBuilder().proto(2)
                .tensor("FloatStorage", "0", new long[] {1}).stop().bytes()).storage("0", f32(1)).zip());
        assertTrue(msg.contains("holds a tensor, not a dict of tensors"), msg);
    }

    @Test
    void refusesNestingBombs() throws IOException {
        // 10 000 dicts inside each other: the VM builds them iteratively, flattening stops at the cap.
        PickleBuilder deep = new PickleBuilder().proto(2);
        for (int i = 0; i < 10_000; i++) {
            deep.emptyDict().str("k");
        }
        deep.emptyDict();
        for (int i = 0; i < 10_000; i++) {
            deep.setitem();
        }
        String msg = refused(new PthFixture("model").pickle(deep.stop().bytes()).zip());
        assertTrue(msg.contains("nested deeper than 64"), msg);

        // A dict that contains itself.
        msg = refused(new PthFixture("model").pickle(new PickleBuilder().proto(2).emptyDict().binput(0)
                .str("self").binget(0).setitem().stop().bytes()).zip());
        assertTrue(msg.contains("nested deeper than 64"), msg);

        // Billion laughs: level i is {a: level i-1, b: level i-1}; 2^40 paths over 80 small dicts.
        PickleBuilder laughs = new PickleBuilder().proto(2).emptyDict().str("t")
                .tensor("FloatStorage", "0", new long[] {1}).setitem().binput(0);
        for (int i = 1; i <= 40; i++) {
            laughs.emptyDict().str("a").binget(i - 1).setitem().str("b").binget(i - 1).setitem().binput(i);
        }
        msg = refused(new PthFixture("model").pickle(laughs.stop().bytes()).storage("0", f32(1)).zip());
        assertTrue(msg.contains("shared-reference bomb"), msg);
    }
}
