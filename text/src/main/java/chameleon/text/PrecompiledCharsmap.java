package chameleon.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * sentencepiece's compiled normalisation table (for example nmt_nfkc): a Darts-clone double-array trie
 * over UTF-8 byte sequences whose values point into a block of NUL-terminated replacement strings.
 * Plain Java NFKC is not the same mapping (the table also maps zero-width space to a space and drops some
 * control characters), so the table itself is run.
 *
 * <p>Layout: {@code uint32 trieBytes} (little-endian), the trie as {@code trieBytes / 4} uint32 units,
 * then the replacement strings.
 */
final class PrecompiledCharsmap {
    private final int[] units;
    private final byte[] replacements;

    PrecompiledCharsmap(byte[] blob) {
        if (blob.length < 4) {
            throw new TokenizerException("precompiled_charsmap: " + blob.length + " bytes, too short");
        }
        long trieBytes = (blob[0] & 0xFFL) | (blob[1] & 0xFFL) << 8 | (blob[2] & 0xFFL) << 16
                | (blob[3] & 0xFFL) << 24;
        if (trieBytes % 4 != 0 || trieBytes == 0 || trieBytes > blob.length - 4) {
            throw new TokenizerException("precompiled_charsmap: trie size " + trieBytes + " does not fit "
                    + blob.length + " bytes");
        }
        units = new int[(int) (trieBytes / 4)];
        for (int i = 0; i < units.length; i++) {
            int o = 4 + 4 * i;
            units[i] = (blob[o] & 0xFF) | (blob[o + 1] & 0xFF) << 8 | (blob[o + 2] & 0xFF) << 16
                    | (blob[o + 3] & 0xFF) << 24;
        }
        replacements = java.util.Arrays.copyOfRange(blob, 4 + (int) trieBytes, blob.length);
    }

    /**
     * Normalises {@code text} as sentencepiece does: at each position the longest key of the trie that
     * prefixes the remaining UTF-8 bytes is replaced by its string; where none matches, one character is
     * copied unchanged.
     */
    String normalize(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 16);
        int pos = 0;
        while (pos < in.length) {
            long match = longestPrefix(in, pos);
            if (match >= 0) {
                int length = (int) (match >>> 32);
                int value = (int) match;
                int stop = value;
                while (stop < replacements.length && replacements[stop] != 0) {
                    stop++;
                }
                out.write(replacements, value, stop - value);
                pos += length;
            } else {
                int length = utf8Length(in[pos]);
                length = Math.min(Math.max(length, 1), in.length - pos);
                out.write(in, pos, length);
                pos += length;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** {@code length << 32 | value} of the longest trie key at {@code from}, or -1. */
    private long longestPrefix(byte[] key, int from) {
        int nodePos = 0;
        int unit = unit(0);
        nodePos ^= offset(unit);
        long best = -1;
        for (int i = from; i < key.length; i++) {
            int label = key[i] & 0xFF;
            if (label == 0) {
                break;
            }
            nodePos ^= label;
            if (nodePos < 0 || nodePos >= units.length) {
                break;
            }
            unit = units[nodePos];
            if (label(unit) != label) {
                break;
            }
            nodePos ^= offset(unit);
            if (hasLeaf(unit)) {
                if (nodePos < 0 || nodePos >= units.length) {
                    break;
                }
                int value = value(units[nodePos]);
                if (value < replacements.length) {
                    best = (long) (i - from + 1) << 32 | value;
                }
            }
        }
        return best;
    }

    private int unit(int index) {
        return units[index];
    }

    private static boolean hasLeaf(int unit) {
        return ((unit >>> 8) & 1) == 1;
    }

    private static int value(int unit) {
        return unit & 0x7FFFFFFF;
    }

    private static int label(int unit) {
        return unit & (0x80000000 | 0xFF);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    private static int utf8Length(byte lead) {
        int b = lead & 0xFF;
        if (b < 0x80) {
            return 1;
        }
        if (b >= 0xF0) {
            return 4;
        }
        if (b >= 0xE0) {
            return 3;
        }
        return b >= 0xC0 ? 2 : 1;
    }
}
