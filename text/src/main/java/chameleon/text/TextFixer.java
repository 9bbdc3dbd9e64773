package chameleon.text;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The part of {@code ftfy.fix_text} (default configuration) that Wan's prompt cleaning relies on, in
 * ftfy's order and, like ftfy, repeated until the text stops changing: HTML entities (only when the
 * text has no {@code <}), mojibake ({@link MojibakeDecoder}), stray C1 controls read as windows-1252,
 * Latin ligatures, fullwidth and halfwidth forms, curly quotes, line breaks, terminal escapes, control
 * characters and the BOM, then NFC.
 */
final class TextFixer {
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001b\\[((?:\\d|;)*)([a-zA-Z])");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("[\u02bc\u2018-\u201b]");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("[\u201c-\u201f]");
    private static final int MAX_ROUNDS = 16;

    private TextFixer() {
    }

    static String fix(String text) {
        boolean unescapeHtml = text.indexOf('<') < 0;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            String before = text;
            if (unescapeHtml) {
                text = HtmlUnescaper.unescape(text);
            }
            text = MojibakeDecoder.decode(text);
            text = fixC1Controls(text);
            text = mapChars(text);
            text = SINGLE_QUOTES.matcher(text).replaceAll("'");
            text = DOUBLE_QUOTES.matcher(text).replaceAll("\"");
            text = text.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n')
                    .replace('\u2029', '\n').replace('\u0085', '\n');
            text = ANSI_ESCAPE.matcher(text).replaceAll("");
            text = removeControlChars(text);
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(before)) {
                break;
            }
        }
        return text;
    }

    /** C1 control characters left after decoding are windows-1252 bytes read as Latin-1. */
    private static String fixC1Controls(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                if (out == null) {
                    out = new StringBuilder(text.substring(0, i));
                }
                out.append(MojibakeDecoder.CP1252_HIGH.charAt(c - 0x80));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** Latin ligatures spelled out, and fullwidth/halfwidth forms and the ideographic space narrowed. */
    private static String mapChars(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\ufb05') {
                out.append("\u017ft");
            } else if (isLigature(c) || (c >= 0xFF01 && c <= 0xFFEF)) {
                out.append(Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC));
            } else if (c == '\u3000') {
                out.append(' ');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isLigature(char c) {
        return c == '\u0132' || c == '\u0133' || c == '\u0149' || (c >= '\u01c4' && c <= '\u01cc')
                || (c >= '\u01f1' && c <= '\u01f3') || (c >= '\ufb00' && c <= '\ufb06');
    }

    /** ftfy's control characters: C0 except tab, LF, FF and CR; DEL; deprecated format chars; BOM. */
    private static String removeControlChars(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F
                    || (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
            if (!control) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
