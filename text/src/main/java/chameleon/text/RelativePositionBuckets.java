package chameleon.text;

/**
 * T5's bidirectional relative-position buckets: half the buckets for keys after the query, half for
 * keys before; within a half, exact distances below {@code maxExact = half / 2}, then logarithmic bins
 * up to {@code maxDist}, where they saturate.
 */
public record RelativePositionBuckets(int numBuckets, int maxDist) {

    /** The bucket of key offset {@code k − q}. */
    public int bucket(int offset) {
        int half = numBuckets / 2;
        int base = offset > 0 ? half : 0;
        int n = Math.abs(offset);
        int maxExact = half / 2;
        if (n < maxExact) {
            return base + n;
        }
        // As torch: the log term in fp32, truncated toward zero by .long().
        float large = (float) (Math.log((float) n / maxExact) / Math.log((double) maxDist / maxExact))
                * (half - maxExact);
        int bucket = maxExact + (int) large;
        return base + Math.min(bucket, half - 1);
    }

    /** [len, len]: {@code bucket(k − q)} at {@code [q, k]}. */
    public int[][] table(int len) {
        int[][] t = new int[len][len];
        for (int q = 0; q < len; q++) {
            for (int k = 0; k < len; k++) {
                t[q][k] = bucket(k - q);
            }
        }
        return t;
    }
}
