package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The {@code data.pkl} that {@code torch.save(state_dict)} writes (pickle protocol 2): an
 * {@code OrderedDict} whose values are {@code torch._utils._rebuild_tensor_v2(storage, 0, size,
 * stride, False, OrderedDict())}, each tensor contiguous over its own storage, the storage given by
 * the persistent id {@code ('storage', torch.<Type>Storage, key, 'cpu', numel)}. Storage keys are
 * {@code "0"}, {@code "1"}, … in tensor order. Only the opcodes needed for that are emitted.
 */
final class StateDictPickle {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private StateDictPickle() {
    }

    static byte[] of(Map<String, Shape> tensors, DType dtype) {
        StateDictPickle p = new StateDictPickle();
        p.op(0x80).op(2);                                      // PROTO 2
        p.orderedDict();
        p.op('(');                                             // MARK
        int key = 0;
        for (Map.Entry<String, Shape> e : tensors.entrySet()) {
            p.str(e.getKey());
            p.tensor(storageClass(dtype), Integer.toString(key++), e.getValue());
        }
        p.op('u');                                             // SETITEMS
        p.op('.');                                             // STOP
        return p.out.toByteArray();
    }

    private static String storageClass(DType dtype) {
        return switch (dtype) {
            case F32 -> "FloatStorage";
            case BF16 -> "BFloat16Storage";
            case F16 -> "HalfStorage";
            default -> throw new IllegalArgumentException("no storage class for " + dtype);
        };
    }

    private void tensor(String storageClass, String key, Shape shape) {
        int[] size = shape.dims();
        long[] stride = new long[size.length];
        long numel = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            stride[i] = numel;
            numel *= size[i];
        }
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        op('(').str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel).op('t');
        op('Q');                                               // BINPERSID
        integer(0);                                            // storage offset
        op('(');
        for (int d : size) {
            integer(d);
        }
        op('t');
        op('(');
        for (long s : stride) {
            integer(s);
        }
        op('t');
        op(0x89);                                              // requires_grad = False
        orderedDict();                                         // backward hooks
        op('t').op('R');                                       // TUPLE, REDUCE
    }

    private StateDictPickle orderedDict() {
        return global("collections", "OrderedDict").op(')').op('R');
    }

    private StateDictPickle op(int code) {
        out.write(code);
        return this;
    }

    private StateDictPickle global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** BINUNICODE. */
    private StateDictPickle str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        littleEndian(b.length, 4);
        out.writeBytes(b);
        return this;
    }

    /** The smallest integer opcode that holds v, as CPython's pickler picks it. */
    private StateDictPickle integer(long v) {
        if (v >= 0 && v < 1 << 8) {
            op('K');
            littleEndian(v, 1);
        } else if (v >= 0 && v < 1 << 16) {
            op('M');
            littleEndian(v, 2);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            op('J');
            littleEndian(v, 4);
        } else {
            op(0x8a).op(8);                                    // LONG1, 8 bytes
            littleEndian(v, 8);
        }
        return this;
    }

    private void littleEndian(long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }
}
