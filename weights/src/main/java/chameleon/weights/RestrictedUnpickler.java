package chameleon.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle virtual machine that only builds inert values: it turns the {@code data.pkl} of a PyTorch
 * checkpoint into Java objects and never executes anything the pickle names.
 *
 * <p>Values: Python {@code str} → {@link String}, {@code int} → {@link Long} (64-bit; wider integers are
 * refused), {@code float} → {@link Double}, {@code bool} → {@link Boolean}, {@code bytes} →
 * {@code byte[]}, {@code None} → {@code null}, {@code list} → {@link ArrayList}, {@code tuple} →
 * {@link Tuple}, {@code dict} and {@code OrderedDict} → {@link LinkedHashMap} (insertion order is pickle
 * order), allowed globals → {@link TorchGlobal}, persistent ids → {@link PickledStorage}, rebuilt tensors
 * → {@link PickledTensor}.
 *
 * <p>The pickle may be hostile. Every length is checked against the bytes that remain before anything
 * is allocated; memo indices, the stack, MARK nesting and the number of values pushed are capped, so a
 * pickle costs time and memory linear in its size and bounded by the caps. Every failure is a
 * {@link WeightsException} naming the source and the byte offset.
 */
final class RestrictedUnpickler {

    /** Immutable Python tuple; items may be {@code null} (None). */
    record Tuple(List<Object> items) {
        static final Tuple EMPTY = new Tuple(List.of());
    }

    /** Values pushed in total, memo fetches included: bounds memory (~100 bytes each at worst). */
    static final int MAX_VALUES = 1 << 23;
    /** Stack depth. {@code torch.save} batches SETITEMS by 1000, so real pickles stay far below. */
    static final int MAX_STACK = 1 << 20;
    /** Open MARKs. Real pickles nest a handful; a long run of MARKs is a recursion bomb. */
    static final int MAX_MARKS = 1000;
    /** Highest memo index; the memo array grows only up to the highest index used. */
    static final int MAX_MEMO = MAX_VALUES;
    /** Longest module or name line of a GLOBAL opcode. */
    static final int MAX_GLOBAL_LINE = 1024;

    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Marks memo slots that were never written, so a BINGET of them is an error, not a null. */
    private static final Object UNSET = new Object();

    private final MemorySegment data;
    private final String source;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private Object[] memo = new Object[64];
    private int memoSize;
    private long valuesPushed;
    private long pos;
    /** Start of the opcode being executed, for messages. */
    private long opStart;
    private PickleOpcode op;

    /**
     * @param data   the pickle bytes (a slice of a mapped archive or a heap segment)
     * @param source what to name in messages, e.g. {@code "vae.pth (vae/data.pkl)"}
     */
    RestrictedUnpickler(MemorySegment data, String source) {
        this.data = data;
        this.source = source;
        Arrays.fill(memo, UNSET);
    }

    /** Runs the pickle to its STOP opcode and returns the value it left. */
    Object load() {
        while (true) {
            opStart = pos;
            if (pos >= data.byteSize()) {
                throw error("truncated pickle: ended without a STOP opcode");
            }
            int code = u8Raw();
            op = PickleOpcode.of(code);
            if (op == null) {
                throw error(String.format("unsupported pickle opcode 0x%02x", code));
            }
            switch (op) {
                case PROTO -> {
                    int version = u8();
                    if (version < 2 || version > 5) {
                        throw error("unsupported pickle protocol " + version);
                    }
                }
                // A frame only tells the reader how much to buffer; the whole pickle is in memory already.
                case FRAME -> need(i64());
                case STOP -> {
                    Object result = pop();
                    if (markCount > 0) {
                        throw error("STOP with " + markCount + " unclosed MARK(s)");
                    }
                    return result;
                }
                case MARK -> pushMark();
                case POP -> {
                    if (stack.size() > markBase()) {
                        pop();
                    } else {
                        popMark(); // CPython: POP on an empty stack segment discards the MARK
                    }
                }
                case POP_MARK -> popMark();
                case DUP -> push(peek());
                case NONE -> push(null);
                case NEWTRUE -> push(Boolean.TRUE);
                case NEWFALSE -> push(Boolean.FALSE);
                case BININT -> push((long) i32());
                case BININT1 -> push((long) u8());
                case BININT2 -> push((long) u16());
                case LONG1 -> push(long1());
                case BINFLOAT -> push(f64());
                case SHORT_BINUNICODE -> push(string(u8()));
                case BINUNICODE -> push(string(u32()));
                case BINUNICODE8 -> push(string(i64()));
                case SHORT_BINBYTES -> push(bytes(u8()));
                case BINBYTES -> push(bytes(u32()));
                case BINBYTES8 -> push(bytes(i64()));
                case EMPTY_TUPLE -> push(Tuple.EMPTY);
                case TUPLE1, TUPLE2, TUPLE3 -> {
                    int n = op == PickleOpcode.TUPLE1 ? 1 : op == PickleOpcode.TUPLE2 ? 2 : 3;
                    Object[] items = new Object[n];
                    for (int i = n - 1; i >= 0; i--) {
                        items[i] = pop();
                    }
                    push(tuple(items));
                }
                case TUPLE -> push(tuple(popMark().toArray()));
                case EMPTY_LIST -> push(new ArrayList<>());
                case EMPTY_DICT -> push(new LinkedHashMap<>());
                case APPEND -> {
                    Object item = pop();
                    list(peek()).add(item);
                }
                case APPENDS -> {
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case SETITEM -> {
                    Object value = pop();
                    Object key = pop();
                    dict(peek()).put(key(key), value);
                }
                case SETITEMS -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) {
                        throw error("SETITEMS with an odd number of items");
                    }
                    Map<Object, Object> dict = dict(peek());
                    for (int i = 0; i < items.size(); i += 2) {
                        dict.put(key(items.get(i)), items.get(i + 1));
                    }
                }
                case BINPUT -> memoPut(u8());
                case LONG_BINPUT -> memoPut(u32());
                case MEMOIZE -> memoPut(memoSize);
                case BINGET -> push(memoGet(u8()));
                case LONG_BINGET -> push(memoGet(u32()));
                case GLOBAL -> {
                    String module = line();
                    String name = line();
                    push(global(module, name));
                }
                case STACK_GLOBAL -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL expects two strings, got " + describe(module) + " and " + describe(name));
                    }
                    push(global(m, n));
                }
                case REDUCE -> {
                    Object args = pop();
                    Object callable = pop();
                    push(call(callable, args));
                }
                case NEWOBJ -> {
                    Object args = pop();
                    Object cls = pop();
                    if (cls != TorchGlobal.ORDERED_DICT) {
                        throw error("NEWOBJ of " + describe(cls) + " is not supported");
                    }
                    push(call(cls, args));
                }
                case BUILD -> {
                    // The state torch.save attaches to an OrderedDict is its `_metadata` (module
                    // versions), which matters only to load_state_dict. It is dropped, not applied.
                    Object state = pop();
                    Object target = peek();
                    if (!(target instanceof Map<?, ?>)) {
                        throw error("BUILD on " + describe(target) + " is not supported");
                    }
                    if (!(state == null || state instanceof Map<?, ?> || state instanceof Tuple)) {
                        throw error("BUILD with " + describe(state) + " state is not supported");
                    }
                }
                case BINPERSID -> push(persistentLoad(pop()));
            }
        }
    }

    // ---- stack and marks ----

    private void push(Object value) {
        if (++valuesPushed > MAX_VALUES) {
            throw error("more than " + MAX_VALUES + " values pushed (a shared-reference bomb?)");
        }
        if (stack.size() >= MAX_STACK) {
            throw error("pickle stack deeper than " + MAX_STACK);
        }
        stack.add(value);
    }

    private int markBase() {
        return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private Object pop() {
        if (stack.size() <= markBase()) {
            throw error("stack underflow");
        }
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.size() <= markBase()) {
            throw error("stack underflow");
        }
        return stack.getLast();
    }

    private void pushMark() {
        if (markCount >= MAX_MARKS) {
            throw error("MARK nested more than " + MAX_MARKS + " deep (a recursion bomb?)");
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    /** Removes and returns everything above the innermost MARK, and the MARK. */
    private List<Object> popMark() {
        if (markCount == 0) {
            throw error("no MARK to pop");
        }
        int base = marks[--markCount];
        List<Object> top = stack.subList(base, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    // ---- memo ----

    private void memoPut(long index) {
        // A pickler numbers memo entries 0, 1, 2, ... so an index can never exceed the values pushed so
        // far; checking that keeps a hostile index from sizing the memo array.
        if (index > MAX_MEMO || index > valuesPushed) {
            throw error("memo index " + index + " exceeds the " + valuesPushed + " values pushed so far");
        }
        int i = (int) index;
        if (i >= memo.length) {
            int length = (int) Math.min(MAX_MEMO + 1L, Math.max(i + 1L, memo.length * 2L));
            int old = memo.length;
            memo = Arrays.copyOf(memo, length);
            Arrays.fill(memo, old, length, UNSET);
        }
        if (memo[i] == UNSET) {
            memoSize++;
        }
        memo[i] = peek();
    }

    private Object memoGet(long index) {
        if (index >= memo.length || memo[(int) index] == UNSET) {
            throw error("memo index " + index + " read before it was written");
        }
        return memo[(int) index];
    }

    // ---- the restricted parts: globals, calls, persistent ids ----

    private TorchGlobal global(String module, String name) {
        TorchGlobal g = TorchGlobal.find(module, name);
        if (g == null) {
            throw error("refusing global " + printable(module) + "." + printable(name)
                    + ": only collections.OrderedDict, torch._utils tensor/parameter rebuilders, torch.device"
                    + " and torch.*Storage classes may appear in a weights file");
        }
        return g;
    }

    private Object call(Object callable, Object args) {
        if (!(callable instanceof TorchGlobal g) || !g.isCallable()) {
            throw error(op + " on a non-callable " + describe(callable));
        }
        if (!(args instanceof Tuple(List<Object> items))) {
            throw error(op + " of " + g.qualifiedName() + " with " + describe(args) + " arguments (a tuple is required)");
        }
        try {
            return g.call(items);
        } catch (IllegalArgumentException e) {
            throw error(g.qualifiedName() + ": " + e.getMessage());
        }
    }

    /** {@code ('storage', torch.XStorage, key, location, numel)}, what torch.save writes per storage. */
    private PickledStorage persistentLoad(Object pid) {
        if (!(pid instanceof Tuple(List<Object> items)) || items.size() != 5 || !"storage".equals(items.get(0))) {
            throw error("persistent id must be ('storage', type, key, location, numel), got " + describe(pid));
        }
        if (!(items.get(1) instanceof TorchGlobal g) || g.storageDType == null) {
            throw error("persistent id names " + describe(items.get(1)) + " instead of a storage class");
        }
        if (!(items.get(2) instanceof String key) || !(items.get(4) instanceof Long numel)) {
            throw error("persistent id needs a string key and an int element count");
        }
        String location = items.get(3) instanceof String s ? s : "";
        try {
            return new PickledStorage(g.storageDType, key, location, numel);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    // ---- containers ----

    @SuppressWarnings("unchecked")
    private List<Object> list(Object target) {
        if (!(target instanceof ArrayList<?>)) {
            throw error(op + " needs a list, not " + describe(target));
        }
        return (List<Object>) target;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object target) {
        if (!(target instanceof Map<?, ?>)) {
            throw error(op + " needs a dict, not " + describe(target));
        }
        return (Map<Object, Object>) target;
    }

    /**
     * Only scalar keys: hashing a container key would recurse through it (a stack-overflow and
     * quadratic-time vector), and state dicts never use one.
     */
    private Object key(Object key) {
        if (key == null || key instanceof String || key instanceof Long || key instanceof Boolean || key instanceof Double) {
            return key;
        }
        throw error("dict key of type " + describe(key) + " is not supported");
    }

    private static Tuple tuple(Object[] items) {
        return new Tuple(Collections.unmodifiableList(Arrays.asList(items)));
    }

    // ---- reading ----

    /** Fails unless {@code n} more bytes are there. */
    private void need(long n) {
        if (n < 0 || n > data.byteSize() - pos) {
            throw error("truncated pickle: " + op + " needs " + (n < 0 ? "an impossible " + n : n) + " bytes, "
                    + (data.byteSize() - pos) + " remain");
        }
    }

    private int u8Raw() {
        return data.get(ValueLayout.JAVA_BYTE, pos++) & 0xff;
    }

    private int u8() {
        need(1);
        return u8Raw();
    }

    private int u16() {
        need(2);
        int v = data.get(U16_LE, pos) & 0xffff;
        pos += 2;
        return v;
    }

    private int i32() {
        need(4);
        int v = data.get(I32_LE, pos);
        pos += 4;
        return v;
    }

    private long u32() {
        return i32() & 0xffffffffL;
    }

    private long i64() {
        need(8);
        long v = data.get(I64_LE, pos);
        pos += 8;
        return v;
    }

    private double f64() {
        need(8);
        double v = data.get(F64_BE, pos);
        pos += 8;
        return v;
    }

    /** LONG1: little-endian two's complement of n bytes; more than 64 bits is refused. */
    private long long1() {
        int n = u8();
        if (n > 8) {
            throw error("LONG1 integer of " + n + " bytes does not fit 64 bits");
        }
        need(n);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) u8Raw() << (8 * i);
        }
        if (n > 0 && n < 8) {
            v = (v << (64 - 8 * n)) >> (64 - 8 * n); // sign-extend
        }
        return v;
    }

    private byte[] bytes(long n) {
        need(n);
        if (n > Integer.MAX_VALUE - 16) {
            throw error("string or bytes of " + n + " bytes is too long");
        }
        byte[] b = data.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return b;
    }

    private String string(long n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    /** One newline-terminated line of a GLOBAL opcode. */
    private String line() {
        long limit = Math.min(data.byteSize(), pos + MAX_GLOBAL_LINE);
        for (long i = pos; i < limit; i++) {
            if (data.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                String s = new String(data.asSlice(pos, i - pos).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                pos = i + 1;
                return s;
            }
        }
        throw error(limit == data.byteSize() ? "truncated pickle: GLOBAL line without a newline"
                : "GLOBAL line longer than " + MAX_GLOBAL_LINE + " bytes");
    }

    // ---- messages ----

    private WeightsException error(String message) {
        return new WeightsException(source + ": pickle offset " + opStart + (op == null ? "" : " (" + op + ")") + ": " + message);
    }

    /** A short type description; never prints the value, which may be huge or deeply nested. */
    static String describe(Object v) {
        return switch (v) {
            case null -> "None";
            case String _ -> "str";
            case Long _ -> "int";
            case Double _ -> "float";
            case Boolean _ -> "bool";
            case byte[] _ -> "bytes";
            case Tuple _ -> "tuple";
            case List<?> _ -> "list";
            case Map<?, ?> _ -> "dict";
            case TorchGlobal g -> g.qualifiedName();
            case PickledStorage _ -> "storage";
            case PickledTensor _ -> "tensor";
            default -> v.getClass().getSimpleName();
        };
    }

    /** Names from a hostile file go into messages shortened and without control characters. */
    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
