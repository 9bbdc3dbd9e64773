package chameleon.runtime;

import java.util.Locale;

/**
 * The Java heap a session of a {@link RandomModel} needs, by what holds it. An estimate (the VAE's working
 * set especially), used to refuse a run up front with a message naming {@code -Xmx} rather than fail
 * with an {@link OutOfMemoryError} minutes in, after the weights are built.
 *
 * @param ditWeights  the DiT's weights in the heap (BF16: 2 bytes a parameter)
 * @param vaeWeights  the VAE's weights in the heap (F32: 4 bytes a parameter)
 * @param prompt      one prepared prompt: textLen × (textDim + dim·(1 + 2·layers)) × 4 (context and every
 *                    block's cross K/V)
 * @param kvCache     the self-attention KV cache on the host: layers × window tokens × dim × 2 (K, V) × 4; 0
 *                    when the backend keeps it on its device
 * @param vaeWorkset  the frame-by-frame VAE decode: about ten [4 frames, decoder width, H/2, W/2] F32
 *                    volumes (the causal caches of the last two stages' convolutions and the live activations)
 */
public record HeapEstimate(long ditWeights, long vaeWeights, long prompt, long kvCache, long vaeWorkset) {

    public long total() {
        return ditWeights + vaeWeights + prompt + kvCache + vaeWorkset;
    }

    /** Whether a heap of {@code maxHeapBytes} ({@link Runtime#maxMemory()}) is at least {@link #total()}. */
    public boolean fits(long maxHeapBytes) {
        return maxHeapBytes >= total();
    }

    /** {@code -Xmx} to suggest: the total rounded up to whole GiB, plus 10 % for everything not counted. */
    public long suggestedXmxGib() {
        return (long) Math.ceil(total() * 1.1 / GIB);
    }

    /** E.g. {@code 37.6 GiB = DiT 10.0 + VAE 2.8 + prompt 0.4 + KV cache 14.9 + VAE decode ~9.2}. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s = DiT %s + VAE %s + prompt %s + KV cache %s + VAE decode ~%s",
                gb(total()) + " GiB", gb(ditWeights), gb(vaeWeights), gb(prompt),
                kvCache == 0 ? "0 (on the device)" : gb(kvCache), gb(vaeWorkset));
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    static String gb(long bytes) {
        return String.format(Locale.ROOT, bytes < GIB / 10 ? "%.3f" : "%.1f", bytes / GIB);
    }
}
