package chameleon.weights;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The only Python globals a checkpoint may name, in the spirit of PyTorch's {@code weights_only=True}:
 * the state-dict container, the tensor and parameter rebuild functions, {@code torch.device} and the
 * typed storage classes. A pickle naming anything else ({@code os.system}, {@code builtins.eval}, a
 * model class) is refused before anything runs. The "calls" below only build inert Java values; no
 * Python semantics beyond those values are emulated.
 */
enum TorchGlobal {
    ORDERED_DICT("collections", "OrderedDict"),
    REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2"),
    REBUILD_PARAMETER("torch._utils", "_rebuild_parameter"),
    REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state"),
    DEVICE("torch", "device"),
    FLOAT_STORAGE("torch", "FloatStorage", DType.F32),
    BFLOAT16_STORAGE("torch", "BFloat16Storage", DType.BF16),
    HALF_STORAGE("torch", "HalfStorage", DType.F16),
    DOUBLE_STORAGE("torch", "DoubleStorage", DType.F64),
    LONG_STORAGE("torch", "LongStorage", DType.I64),
    INT_STORAGE("torch", "IntStorage", DType.I32),
    SHORT_STORAGE("torch", "ShortStorage", DType.I16),
    CHAR_STORAGE("torch", "CharStorage", DType.I8),
    BYTE_STORAGE("torch", "ByteStorage", DType.U8),
    BOOL_STORAGE("torch", "BoolStorage", DType.BOOL);

    /** PyTorch's own limit on tensor dimensions. */
    static final int MAX_RANK = 64;

    final String module;
    final String name;
    /** Element type of a storage class; {@code null} for the callables. */
    final DType storageDType;

    TorchGlobal(String module, String name) {
        this(module, name, null);
    }

    TorchGlobal(String module, String name, DType storageDType) {
        this.module = module;
        this.name = name;
        this.storageDType = storageDType;
    }

    /** The allowed global {@code module.name}, or {@code null}. */
    static TorchGlobal find(String module, String name) {
        for (TorchGlobal g : values()) {
            if (g.module.equals(module) && g.name.equals(name)) {
                return g;
            }
        }
        return null;
    }

    String qualifiedName() {
        return module + "." + name;
    }

    /** Storage classes are only markers inside persistent ids; they are never called. */
    boolean isCallable() {
        return storageDType == null;
    }

    /**
     * The value of {@code this(*args)} (REDUCE) or {@code this.__new__(this, *args)} (NEWOBJ, which only
     * {@code OrderedDict} supports). {@link IllegalArgumentException} with the reason when the arguments
     * are not what PyTorch writes.
     */
    Object call(List<Object> args) {
        return switch (this) {
            case ORDERED_DICT -> {
                // torch.save pickles OrderedDict() with no arguments and fills it with SETITEMS.
                if (!args.isEmpty()) {
                    throw new IllegalArgumentException("OrderedDict with arguments is not supported");
                }
                yield new LinkedHashMap<Object, Object>();
            }
            case REBUILD_TENSOR_V2 -> rebuildTensor(args);
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                // (data, requires_grad, backward_hooks[, state]): a Parameter is just its tensor here.
                int expected = this == REBUILD_PARAMETER ? 3 : 4;
                if (args.size() != expected || !(args.getFirst() instanceof PickledTensor t)) {
                    throw new IllegalArgumentException(name + " expects (tensor, requires_grad, backward_hooks"
                            + (expected == 4 ? ", state)" : ")"));
                }
                yield t;
            }
            case DEVICE -> {
                // torch.device('cuda', 0) or torch.device('cpu'): kept as a string, only ever ignored.
                if (args.isEmpty() || args.size() > 2 || !(args.getFirst() instanceof String type)) {
                    throw new IllegalArgumentException("device expects (type[, index])");
                }
                yield args.size() == 2 ? type + ":" + args.get(1) : type;
            }
            default -> throw new IllegalArgumentException(qualifiedName() + " is not callable");
        };
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private static PickledTensor rebuildTensor(List<Object> args) {
        if (args.size() != 6 && args.size() != 7) {
            throw new IllegalArgumentException("_rebuild_tensor_v2 expects 6 or 7 arguments, got " + args.size());
        }
        if (!(args.get(0) instanceof PickledStorage storage)) {
            throw new IllegalArgumentException("_rebuild_tensor_v2 expects a storage first");
        }
        if (!(args.get(1) instanceof Long offset)) {
            throw new IllegalArgumentException("_rebuild_tensor_v2 expects an int storage offset");
        }
        long[] size = longs(args.get(2), "size");
        long[] stride = longs(args.get(3), "stride");
        int[] dims = new int[size.length];
        for (int i = 0; i < size.length; i++) {
            if (size[i] < 0 || size[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("dimension " + size[i] + " out of range");
            }
            dims[i] = (int) size[i];
        }
        // requires_grad, backward_hooks and metadata only matter for autograd; they are not looked at.
        return new PickledTensor(storage, offset, Shape.of(dims), stride);
    }

    private static long[] longs(Object value, String what) {
        if (!(value instanceof RestrictedUnpickler.Tuple(List<Object> items))) {
            throw new IllegalArgumentException("_rebuild_tensor_v2 expects a tuple " + what);
        }
        if (items.size() > MAX_RANK) {
            throw new IllegalArgumentException(what + " has " + items.size() + " dimensions, more than " + MAX_RANK);
        }
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v)) {
                throw new IllegalArgumentException(what + " holds a non-integer");
            }
            out[i] = v;
        }
        return out;
    }
}
