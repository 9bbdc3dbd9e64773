package chameleon.weights;

/**
 * The pickle opcodes {@link RestrictedUnpickler} understands: what {@code torch.save} emits (protocol 2,
 * its default) plus the protocol 3–5 opcodes a newer pickler may use for the same objects. Every other
 * opcode is refused, so text-protocol, set, buffer and instance-building opcodes never run.
 */
enum PickleOpcode {
    MARK('('),
    STOP('.'),
    POP('0'),
    POP_MARK('1'),
    DUP('2'),
    BINFLOAT('G'),
    BININT('J'),
    BININT1('K'),
    BININT2('M'),
    NONE('N'),
    BINPERSID('Q'),
    REDUCE('R'),
    BINUNICODE('X'),
    BINBYTES('B'),
    SHORT_BINBYTES('C'),
    EMPTY_LIST(']'),
    APPEND('a'),
    BUILD('b'),
    GLOBAL('c'),
    APPENDS('e'),
    BINGET('h'),
    LONG_BINGET('j'),
    BINPUT('q'),
    LONG_BINPUT('r'),
    SETITEM('s'),
    TUPLE('t'),
    SETITEMS('u'),
    EMPTY_TUPLE(')'),
    EMPTY_DICT('}'),
    PROTO(0x80),
    NEWOBJ(0x81),
    TUPLE1(0x85),
    TUPLE2(0x86),
    TUPLE3(0x87),
    NEWTRUE(0x88),
    NEWFALSE(0x89),
    LONG1(0x8a),
    SHORT_BINUNICODE(0x8c),
    BINUNICODE8(0x8d),
    BINBYTES8(0x8e),
    STACK_GLOBAL(0x93),
    MEMOIZE(0x94),
    FRAME(0x95);

    private static final PickleOpcode[] BY_CODE = new PickleOpcode[256];

    static {
        for (PickleOpcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    /** The opcode byte, 0–255. */
    final int code;

    PickleOpcode(int code) {
        this.code = code;
    }

    /** The opcode for byte {@code code} (0–255), or {@code null} if it is not one we accept. */
    static PickleOpcode of(int code) {
        return BY_CODE[code];
    }
}
