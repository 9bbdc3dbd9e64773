package chameleon.text;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Undoes the commonest mojibake: UTF-8 bytes that were decoded as windows-1252 or Latin-1
 * ({@code CafÃ©} for {@code Café}, {@code â€œ} for {@code “}). It re-encodes each character that has a
 * one-byte windows-1252/Latin-1 form and decodes every run of those bytes that forms valid multi-byte
 * UTF-8; a space right after {@code Â}/{@code Ã} may stand for the byte A0 that was lost (ftfy's
 * {@code restore_byte_a0}).
 *
 * <p>This is a subset of ftfy's {@code fix_encoding}: ftfy first weighs how "bad" the text looks and
 * tries several codecs; this class decodes any valid sequence it finds, which on real prompts only
 * differs for text that legitimately writes pairs like {@code Ã©}.
 */
final class MojibakeDecoder {
    /** windows-1252's characters for bytes 0x80..0x9F; its five holes stand for themselves. */
    static final String CP1252_HIGH = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
            + "\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
            + "\u0161\u203a\u0153\u009d\u017e\u0178";

    private MojibakeDecoder() {
    }

    static String decode(String text) {
        int n = text.length();
        StringBuilder out = null;
        int i = 0;
        int copiedTo = 0;
        while (i < n) {
            int lead = byteOf(text.charAt(i));
            int need = lead >= 0xC2 && lead <= 0xDF ? 1 : lead >= 0xE0 && lead <= 0xEF ? 2
                    : lead >= 0xF0 && lead <= 0xF4 ? 3 : 0;
            String decoded = need == 0 ? null : tryDecode(text, i, need, lead);
            if (decoded != null) {
                if (out == null) {
                    out = new StringBuilder(n);
                }
                out.append(text, copiedTo, i).append(decoded);
                i += need + 1;
                copiedTo = i;
            } else {
                i++;
            }
        }
        if (out == null) {
            return text;
        }
        return out.append(text, copiedTo, n).toString();
    }

    private static String tryDecode(String text, int at, int need, int lead) {
        if (at + need >= text.length()) {
            return null;
        }
        byte[] bytes = new byte[need + 1];
        bytes[0] = (byte) lead;
        for (int k = 1; k <= need; k++) {
            char c = text.charAt(at + k);
            int b = byteOf(c);
            if (c == ' ' && k == 1 && need == 1 && (lead == 0xC2 || lead == 0xC3)) {
                b = 0xA0;
            }
            if (b < 0x80 || b > 0xBF) {
                return null;
            }
            bytes[k] = (byte) b;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The windows-1252 (else Latin-1) byte of {@code c}, or -1. */
    static int byteOf(char c) {
        if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) {
            return c;
        }
        int k = CP1252_HIGH.indexOf(c);
        if (k >= 0) {
            return 0x80 + k;
        }
        return c <= 0x9F ? c : -1;
    }
}
