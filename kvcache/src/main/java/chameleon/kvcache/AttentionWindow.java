package chameleon.kvcache;

/** The cache rows {@code [from, to)} a chunk's queries attend to after its K/V were written. */
public record AttentionWindow(int from, int to) {
    public AttentionWindow {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("bad attention window [" + from + ", " + to + ")");
        }
    }

    public int length() {
        return to - from;
    }
}
