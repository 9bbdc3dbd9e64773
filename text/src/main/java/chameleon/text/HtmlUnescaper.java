package chameleon.text;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's {@code html.unescape} for the entities prompts meet: numeric references ({@code &#39;},
 * {@code &#x27;}, with HTML5's replacements for invalid code points), the markup entities, the
 * Latin-1 entities (also without the semicolon, as HTML5 allows for these legacy names), and common
 * typographic ones. Python knows all 2 231 HTML5 names; an unknown name here is left as it is.
 */
final class HtmlUnescaper {
    private static final Pattern ENTITY =
            Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    /** HTML4's Latin-1 entity names for U+00A0..U+00FF, in code-point order. */
    private static final String[] LATIN1 = ("nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo"
            + " not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14"
            + " frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc"
            + " Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave"
            + " Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave"
            + " eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide"
            + " oslash ugrave uacute ucirc uuml yacute thorn yuml").split(" ");
    /** Names HTML5 also accepts without the semicolon. */
    private static final Map<String, String> LEGACY = new HashMap<>();
    /** Names that need the semicolon. */
    private static final Map<String, String> NAMED = new HashMap<>();
    /** HTML5's replacements for numeric references to C1 control code points (windows-1252). */
    private static final String C1 = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
            + "\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
            + "\u0161\u203a\u0153\u009d\u017e\u0178";

    static {
        for (int i = 0; i < LATIN1.length; i++) {
            LEGACY.put(LATIN1[i], String.valueOf((char) (0xA0 + i)));
        }
        for (String[] e : new String[][] {{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""},
                {"AMP", "&"}, {"LT", "<"}, {"GT", ">"}, {"QUOT", "\""}, {"COPY", "\u00a9"}, {"REG", "\u00ae"}}) {
            LEGACY.put(e[0], e[1]);
        }
        NAMED.putAll(LEGACY);
        for (String[] e : new String[][] {{"apos", "'"}, {"hellip", "\u2026"}, {"mdash", "\u2014"},
                {"ndash", "\u2013"}, {"lsquo", "\u2018"}, {"rsquo", "\u2019"}, {"sbquo", "\u201a"},
                {"ldquo", "\u201c"}, {"rdquo", "\u201d"}, {"bdquo", "\u201e"}, {"euro", "\u20ac"},
                {"trade", "\u2122"}, {"bull", "\u2022"}, {"dagger", "\u2020"}, {"Dagger", "\u2021"},
                {"permil", "\u2030"}, {"lsaquo", "\u2039"}, {"rsaquo", "\u203a"}, {"OElig", "\u0152"},
                {"oelig", "\u0153"}, {"Scaron", "\u0160"}, {"scaron", "\u0161"}, {"Yuml", "\u0178"},
                {"fnof", "\u0192"}, {"circ", "\u02c6"}, {"tilde", "\u02dc"}, {"ensp", "\u2002"},
                {"emsp", "\u2003"}, {"thinsp", "\u2009"}, {"zwnj", "\u200c"}, {"zwj", "\u200d"},
                {"lrm", "\u200e"}, {"rlm", "\u200f"}, {"prime", "\u2032"}, {"Prime", "\u2033"},
                {"larr", "\u2190"}, {"rarr", "\u2192"}, {"uarr", "\u2191"}, {"darr", "\u2193"},
                {"hearts", "\u2665"}, {"star", "\u2606"}, {"minus", "\u2212"}, {"infin", "\u221e"}}) {
            NAMED.put(e[0], e[1]);
        }
    }

    private HtmlUnescaper() {
    }

    /** One pass of {@code html.unescape}: {@code &amp;amp;} becomes {@code &amp;}, not {@code &}. */
    static String unescape(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        Matcher m = ENTITY.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(replace(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String replace(String body) {
        if (body.charAt(0) == '#') {
            boolean hex = body.length() > 1 && (body.charAt(1) == 'x' || body.charAt(1) == 'X');
            String digits = body.substring(hex ? 2 : 1).replace(";", "");
            int cp;
            try {
                long v = Long.parseLong(digits.length() > 9 ? "99999999" : digits, hex ? 16 : 10);
                cp = (int) Math.min(v, 0x7FFFFFFF);
            } catch (NumberFormatException e) {
                return "&" + body;
            }
            if (cp >= 0x80 && cp <= 0x9F) {
                return String.valueOf(C1.charAt(cp - 0x80));
            }
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return "\uFFFD";
            }
            return Character.toString(cp);
        }
        if (body.endsWith(";")) {
            String named = NAMED.get(body.substring(0, body.length() - 1));
            if (named != null) {
                return named;
            }
        }
        // As Python: the longest legacy name that prefixes the text, the rest kept.
        for (int len = Math.min(body.length(), 32); len > 1; len--) {
            String legacy = LEGACY.get(body.substring(0, len));
            if (legacy != null) {
                return legacy + body.substring(len);
            }
        }
        return "&" + body;
    }
}
