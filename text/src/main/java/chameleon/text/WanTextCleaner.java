package chameleon.text;

import java.util.regex.Pattern;

/**
 * The Wan tokenizer wrapper's {@code clean='whitespace'}: {@code ftfy.fix_text} ({@link TextFixer}),
 * {@code html.unescape} twice, strip, every whitespace run to one space, strip.
 */
public final class WanTextCleaner {
    /** Python's {@code str.isspace} / {@code regex} {@code \s}: Unicode White_Space plus U+001C..U+001F. */
    private static final Pattern SPACE_RUN =
            Pattern.compile("[\\s\\x1c-\\x1f]+", Pattern.UNICODE_CHARACTER_CLASS);

    private WanTextCleaner() {
    }

    /** The cleaned prompt, as the tokenizer sees it. */
    public static String clean(String text) {
        String s = TextFixer.fix(text);
        s = HtmlUnescaper.unescape(HtmlUnescaper.unescape(s));
        return SPACE_RUN.matcher(s).replaceAll(" ").strip();
    }

    /** ftfy's part alone, exposed for the golden {@code after_ftfy} check. */
    static String fixText(String text) {
        return TextFixer.fix(text);
    }
}
