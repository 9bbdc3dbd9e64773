package chameleon.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pickle VM on hand-written opcode sequences: what it builds and what it refuses. */
class RestrictedUnpicklerTest {

    private static Object load(byte[] pickle) {
        return new RestrictedUnpickler(MemorySegment.ofArray(pickle), "test.pkl").load();
    }

    private static String refused(byte[] pickle) {
        WeightsException e = assertThrows(WeightsException.class, () -> load(pickle));
        assertTrue(e.getMessage().startsWith("test.pkl: pickle offset "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void buildsPlainValuesWithProtocol4FramesAndMemoize() {
        // {'a': 1, 'b': [True, None, 2.5, -3, 70000, 2**40], 'c': ('x',)} as protocol 4 writes it.
        byte[] body = new PickleBuilder()
                .emptyDict().op(0x94) // MEMOIZE -> 0
                .mark()
                .op(0x8c).op(1).raw((byte) 'a').op(0x94).integer(1)
                .op(0x8c).op(1).raw((byte) 'b').op(0x94).emptyList().op(0x94)
                .mark().bool(true).none().op('G').raw((byte) 0x40, (byte) 0x04, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0)
                .integer(-3).integer(70000).op(0x8a).op(6).raw((byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 1)
                .op('e') // APPENDS
                .str("c").str("x").op(0x85) // TUPLE1
                .setitems().stop().bytes();
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(new PickleBuilder().proto(4).op(0x95).bytes());
        for (int i = 0; i < 8; i++) {
            p.write(i == 0 ? body.length : 0);
        }
        p.writeBytes(body);

        Map<?, ?> dict = assertInstanceOf(Map.class, load(p.toByteArray()));
        assertEquals(List.of("a", "b", "c"), List.copyOf(dict.keySet()));
        assertEquals(1L, dict.get("a"));
        List<?> list = assertInstanceOf(List.class, dict.get("b"));
        assertEquals(6, list.size());
        assertEquals(true, list.get(0));
        assertNull(list.get(1));
        assertEquals(2.5, list.get(2));
        assertEquals(-3L, list.get(3));
        assertEquals(70000L, list.get(4));
        assertEquals(1L << 40, list.get(5));
        assertEquals(new RestrictedUnpickler.Tuple(List.of("x")), dict.get("c"));
    }

    @Test
    void rebuildsATensorFromItsPersistentId() {
        byte[] p = new PickleBuilder().proto(2)
                .tensor("BFloat16Storage", "7", 10, 4, new long[] {2, 3}, new long[] {3, 1}).stop().bytes();
        PickledTensor t = assertInstanceOf(PickledTensor.class, load(p));
        assertEquals(DType.BF16, t.dtype());
        assertEquals("7", t.storage().key());
        assertEquals(10, t.storage().numel());
        assertEquals(4, t.offset());
        assertEquals(chameleon.tensor.Shape.of(2, 3), t.shape());
        assertTrue(t.isContiguous());
    }

    @Test
    void refusesOsSystemBeforeAnythingRuns() {
        byte[] p = new PickleBuilder().proto(2).global("os", "system").str("rm -rf /").op(0x85).reduce().stop().bytes();
        String msg = refused(p);
        assertTrue(msg.contains("refusing global os.system"), msg);
    }

    @Test
    void refusesBuiltinsEvalThroughStackGlobal() {
        byte[] p = new PickleBuilder().proto(4).stackGlobal("builtins", "eval").str("1+1").op(0x85).reduce().stop().bytes();
        String msg = refused(p);
        assertTrue(msg.contains("refusing global builtins.eval"), msg);
    }

    @Test
    void refusesModelClassesAndUnknownStorages() {
        assertTrue(refused(new PickleBuilder().proto(2).global("torch.nn.modules.conv", "Conv2d").stop().bytes())
                .contains("torch.nn.modules.conv.Conv2d"));
        assertTrue(refused(new PickleBuilder().proto(2).storage("ComplexFloatStorage", "0", 4).stop().bytes())
                .contains("torch.ComplexFloatStorage"));
    }

    @Test
    void refusesReduceOnNonCallables() {
        String msg = refused(new PickleBuilder().proto(2).str("print").emptyTuple().reduce().stop().bytes());
        assertTrue(msg.contains("REDUCE on a non-callable str"), msg);
        msg = refused(new PickleBuilder().proto(2).global("torch", "FloatStorage").emptyTuple().reduce().stop().bytes());
        assertTrue(msg.contains("REDUCE on a non-callable torch.FloatStorage"), msg);
        msg = refused(new PickleBuilder().proto(2).global("collections", "OrderedDict").emptyList().reduce().stop().bytes());
        assertTrue(msg.contains("with list arguments"), msg);
    }

    @Test
    void refusesBadRebuildArguments() {
        String msg = refused(new PickleBuilder().proto(2).global("torch._utils", "_rebuild_tensor_v2")
                .mark().str("not a storage").integer(0).ints(1).ints(1).bool(false).none().tuple().reduce().stop().bytes());
        assertTrue(msg.contains("_rebuild_tensor_v2 expects a storage first"), msg);
        msg = refused(new PickleBuilder().proto(2).tensor("FloatStorage", "0", 4, 0, new long[] {2, 3}, new long[] {3, 1})
                .stop().bytes());
        assertTrue(msg.contains("reaches element 5 of a storage of 4"), msg);
    }

    @Test
    void refusesAMarkRecursionBomb() {
        byte[] p = new byte[100_002];
        p[0] = (byte) 0x80;
        p[1] = 2;
        java.util.Arrays.fill(p, 2, p.length, (byte) '(');
        String msg = refused(p);
        assertTrue(msg.contains("MARK nested more than"), msg);
    }

    @Test
    void refusesAHugeMemoIndexWithoutAllocatingIt() {
        String msg = refused(new PickleBuilder().proto(2).emptyDict().longBinput(0xFFFF_FFF0L).stop().bytes());
        assertTrue(msg.contains("memo index 4294967280"), msg);
        msg = refused(new PickleBuilder().proto(2).binget(7).stop().bytes());
        assertTrue(msg.contains("memo index 7 read before it was written"), msg);
    }

    @Test
    void refusesAPushBomb() {
        // One list fetched from the memo over and over: 3 bytes per push, no new objects.
        PickleBuilder p = new PickleBuilder().proto(2).emptyList().binput(0);
        byte[] head = p.bytes();
        byte[] pickle = new byte[head.length + 3 * (RestrictedUnpickler.MAX_VALUES + 1)];
        System.arraycopy(head, 0, pickle, 0, head.length);
        for (int i = head.length; i + 2 < pickle.length; i += 3) {
            pickle[i] = 'h';
            pickle[i + 1] = 0;
            pickle[i + 2] = '0'; // POP
        }
        String msg = refused(pickle);
        assertTrue(msg.contains("values pushed"), msg);
    }

    @Test
    void refusesTruncatedPickles() {
        byte[] whole = new PickleBuilder().proto(2).str("encoder.conv1.weight").stop().bytes();
        for (int cut = 0; cut < whole.length; cut++) {
            String msg = refused(java.util.Arrays.copyOf(whole, cut));
            assertTrue(msg.contains("truncated pickle"), msg);
        }
        String msg = refused(new PickleBuilder().proto(2).op('X').raw((byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f)
                .stop().bytes());
        assertTrue(msg.contains("needs 2147483647 bytes"), msg);
    }

    @Test
    void refusesUnsupportedOpcodesAndShapes() {
        assertTrue(refused(new PickleBuilder().proto(2).op('i').stop().bytes()).contains("unsupported pickle opcode 0x69"));
        assertTrue(refused(new PickleBuilder().proto(2).op(0x8a).op(9).stop().bytes()).contains("does not fit 64 bits"));
        assertTrue(refused(new PickleBuilder().proto(2).emptyDict().emptyList().integer(1).setitem().stop().bytes())
                .contains("dict key of type list"));
        assertTrue(refused(new PickleBuilder().proto(2).emptyList().emptyDict().build().stop().bytes())
                .contains("BUILD on list is not supported"));
        assertTrue(refused(new PickleBuilder().proto(2).integer(1).integer(2).append().stop().bytes())
                .contains("APPEND needs a list, not int"));
        assertTrue(refused(new PickleBuilder().proto(2).setitem().stop().bytes()).contains("stack underflow"));
        assertTrue(refused(new PickleBuilder().proto(9).stop().bytes()).contains("protocol 9"));
    }
}
