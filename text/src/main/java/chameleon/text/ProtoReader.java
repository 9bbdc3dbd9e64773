package chameleon.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cursor over protobuf wire-format bytes: just enough to walk a sentencepiece {@code ModelProto}.
 * Every read checks bounds, so a corrupt file ends in a {@link TokenizerException}, never in an
 * out-of-range index or an endless loop.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] bytes;
    private int pos;
    private final int end;

    ProtoReader(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    private ProtoReader(byte[] bytes, int from, int end) {
        this.bytes = bytes;
        this.pos = from;
        this.end = end;
    }

    boolean hasMore() {
        return pos < end;
    }

    /** Reads a field key; returns {@code fieldNumber << 3 | wireType}. */
    int readTag() {
        long key = readVarint();
        if (key <= 0 || key > Integer.MAX_VALUE || (key >>> 3) == 0) {
            throw new TokenizerException("protobuf: bad field key " + key + " at byte " + pos);
        }
        return (int) key;
    }

    long readVarint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new TokenizerException("protobuf: truncated varint at byte " + pos);
            }
            byte b = bytes[pos++];
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new TokenizerException("protobuf: varint longer than 10 bytes at byte " + pos);
    }

    float readFloat() {
        need(4);
        int bits = (bytes[pos] & 0xFF) | (bytes[pos + 1] & 0xFF) << 8 | (bytes[pos + 2] & 0xFF) << 16
                | (bytes[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    /** The payload of a length-delimited field as a reader of its own. */
    ProtoReader readMessage() {
        int length = readLength();
        ProtoReader sub = new ProtoReader(bytes, pos, pos + length);
        pos += length;
        return sub;
    }

    byte[] readBytes() {
        int length = readLength();
        byte[] out = Arrays.copyOfRange(bytes, pos, pos + length);
        pos += length;
        return out;
    }

    String readString() {
        int length = readLength();
        String s = new String(bytes, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return s;
    }

    /** Skips a field of an unneeded number, by its wire type. */
    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> {
                need(8);
                pos += 8;
            }
            case LENGTH_DELIMITED -> {
                // Not "pos += readLength()": Java would read pos before readLength advances it.
                int length = readLength();
                pos += length;
            }
            case FIXED32 -> {
                need(4);
                pos += 4;
            }
            default -> throw new TokenizerException("protobuf: unsupported wire type " + wireType
                    + " before byte " + pos);
        }
    }

    private int readLength() {
        long length = readVarint();
        if (length < 0 || length > end - pos) {
            throw new TokenizerException("protobuf: length " + length + " at byte " + pos
                    + " runs past the end (" + (end - pos) + " bytes left)");
        }
        return (int) length;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw new TokenizerException("protobuf: truncated field at byte " + pos);
        }
    }
}
