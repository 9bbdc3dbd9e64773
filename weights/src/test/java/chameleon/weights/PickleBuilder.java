package chameleon.weights;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle bytes opcode by opcode, for tests. {@link #tensor} emits what {@code torch.save} emits
 * for one tensor of a state dict (protocol 2), so hand-built checkpoints look like real ones.
 */
final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBuilder op(int code) {
        out.write(code);
        return this;
    }

    PickleBuilder raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    private PickleBuilder le(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    PickleBuilder proto(int version) {
        return op(0x80).op(version);
    }

    PickleBuilder mark() {
        return op('(');
    }

    PickleBuilder stop() {
        return op('.');
    }

    PickleBuilder emptyDict() {
        return op('}');
    }

    PickleBuilder emptyList() {
        return op(']');
    }

    PickleBuilder emptyTuple() {
        return op(')');
    }

    PickleBuilder tuple() {
        return op('t');
    }

    PickleBuilder none() {
        return op('N');
    }

    PickleBuilder bool(boolean b) {
        return op(b ? 0x88 : 0x89);
    }

    PickleBuilder setitem() {
        return op('s');
    }

    PickleBuilder setitems() {
        return op('u');
    }

    PickleBuilder append() {
        return op('a');
    }

    PickleBuilder reduce() {
        return op('R');
    }

    PickleBuilder build() {
        return op('b');
    }

    PickleBuilder binpersid() {
        return op('Q');
    }

    /** BINUNICODE with a 4-byte length, as protocol 2 writes every str. */
    PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X').le(b.length, 4);
        out.writeBytes(b);
        return this;
    }

    /** The smallest int opcode, as CPython's pickler chooses it. */
    PickleBuilder integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K').le(v, 1);
        }
        if (v >= 0 && v < 65536) {
            return op('M').le(v, 2);
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return op('J').le(v, 4);
        }
        return op(0x8a).op(8).le(v, 8);
    }

    PickleBuilder ints(long... values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    PickleBuilder global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    PickleBuilder stackGlobal(String module, String name) {
        return str(module).str(name).op(0x93);
    }

    PickleBuilder binput(int index) {
        return op('q').op(index);
    }

    PickleBuilder longBinput(long index) {
        return op('r').le(index, 4);
    }

    PickleBuilder binget(int index) {
        return op('h').op(index);
    }

    PickleBuilder longBinget(long index) {
        return op('j').le(index, 4);
    }

    /** {@code collections.OrderedDict()}. */
    PickleBuilder orderedDict() {
        return global("collections", "OrderedDict").emptyTuple().reduce();
    }

    /** The persistent id of a storage: {@code ('storage', torch.<cls>, key, 'cpu', numel)}. */
    PickleBuilder storage(String storageClass, String key, long numel) {
        return mark().str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel).tuple().binpersid();
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}. */
    PickleBuilder tensor(String storageClass, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        storage(storageClass, key, numel).integer(offset).ints(size).ints(stride).bool(false).orderedDict();
        return tuple().reduce();
    }

    /** A contiguous tensor over the whole storage. */
    PickleBuilder tensor(String storageClass, String key, long[] size) {
        long numel = 1;
        long[] stride = new long[size.length];
        for (int i = size.length - 1; i >= 0; i--) {
            stride[i] = numel;
            numel *= size[i];
        }
        return tensor(storageClass, key, numel, 0, size, stride);
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
