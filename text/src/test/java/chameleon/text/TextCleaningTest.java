package chameleon.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The pieces of Wan's prompt cleaning, each on the cases it exists for. */
class TextCleaningTest {

    @Test
    void htmlUnescapeIsOnePassLikePython() {
        assertEquals("Tom & Jerry <3 'x' &amp;", HtmlUnescaper.unescape("Tom &amp; Jerry &lt;3 &#39;x&#x27; &amp;amp;"));
        assertEquals("\u00e9t\u00e9 \u00a0", HtmlUnescaper.unescape("&eacute;t&eacute &nbsp;"));
        assertEquals("\u20ac \ufffd", HtmlUnescaper.unescape("&#128; &#0;"), "C1 references are windows-1252");
        assertEquals("\u00acaname; &zzz; & x", HtmlUnescaper.unescape("&notaname; &zzz; & x"), "as Python");
        assertEquals("\u00acit;", HtmlUnescaper.unescape("&notit;"), "legacy name without semicolon, as Python");
    }

    @Test
    void mojibakeIsDecodedAndCleanTextKept() {
        assertEquals("Caf\u00e9 \u201cnice\u201d", MojibakeDecoder.decode("Caf\u00c3\u00a9 \u00e2\u20ac\u0153nice\u00e2\u20ac\u009d"));
        assertEquals("d\u00e9j\u00e0 vu", MojibakeDecoder.decode("d\u00c3\u00a9j\u00c3  vu"), "lost A0 byte");
        String clean = "Caf\u00e9 na\u00efve Stra\u00dfe \u00c5ngstr\u00f6m \u4e00\u4f4d";
        assertEquals(clean, MojibakeDecoder.decode(clean));
    }

    @Test
    void wanCleaningCollapsesWhitespaceAndFixesTypography() {
        assertEquals("\"q\" 'x' fine ABC", WanTextCleaner.clean("  \u201cq\u201d \u2018x\u2019\t\n\ufb01ne \uff21\uff22\uff23\u3000 "));
        assertEquals("a b", WanTextCleaner.clean("a\u00a0\u2003\u2028b\u0007"));
        assertEquals("", WanTextCleaner.clean(" \t\r\n "));
    }
}
