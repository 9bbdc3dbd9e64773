package chameleon.layers.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.InMemoryArchive;
import chameleon.weights.ModuleWeights;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The feature cache (MODEL.md §3.4): feeding a video chunk by chunk through the cached modules must
 * give what the full-video rule gives, i.e. one causal pass over all frames (and for the temporal
 * resamplers, the special first-chunk rules stated as whole-sequence formulas).
 */
class CausalCacheTest {
    /**
     * Whole-model comparisons allow 1e-6: the attention's Vector API lane reductions may sum in another
     * order once the JIT compiles them, so two runs of the same frames can differ in the last bits.
     */
    private static final float EPS = 1e-6f;

    private final Backend b = new CpuBackend();
    private final Random random = new Random(42);

    private Tensor video(int c, int t, int h, int w) {
        return RandomVae.gaussian(random, 1f, c, t, h, w);
    }

    /** Feeds x in chunks of the given frame counts through f and concatenates the outputs along time. */
    private Tensor streamed(Tensor x, int[] chunks, java.util.function.Function<Tensor, Tensor> f) {
        Tensor[] outs = new Tensor[chunks.length];
        int at = 0;
        for (int i = 0; i < chunks.length; i++) {
            outs[i] = f.apply(b.slice(x, 1, at, at + chunks[i]));
            at += chunks[i];
        }
        assertEquals(x.dim(1), at);
        return b.concat(1, outs);
    }

    @Test
    void causalConvInChunksEqualsOnePassOverAllFrames() {
        InMemoryArchive a = new InMemoryArchive("memory").put("c.weight", RandomVae.gaussian(random, 0.2f, 5, 3, 3, 3, 3))
                .put("c.bias", RandomVae.gaussian(random, 0.1f, 5));
        FeatureCache.Numbering slots = new FeatureCache.Numbering();
        CausalConv3d conv = CausalConv3d.cube(new ModuleWeights(a, "c."), 3, 5, 3, slots);
        Tensor x = video(3, 9, 6, 7);
        Tensor whole = conv.forward(b, x, (Tensor) null);
        assertEquals(9, whole.dim(1));
        for (int[] chunks : new int[][] {{1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 4, 4}, {2, 3, 1, 3}}) {
            FeatureCache cache = new FeatureCache(slots.count());
            Tensor s = streamed(x, chunks, c -> conv.forward(b, c, cache));
            assertArrayEquals(whole.array(), s.array(), 0f, java.util.Arrays.toString(chunks));
        }
    }

    @Test
    void residualBlockInChunksEqualsOnePass() {
        InMemoryArchive a = RandomVae.build(1, 4, 4, 48, new int[] {1, 2}, 1, new boolean[] {false});
        FeatureCache.Numbering slots = new FeatureCache.Numbering();
        // encoder.downsamples.1.downsamples.0: 4 → 8 channels, with a 1×1 shortcut.
        ResidualBlock block = new ResidualBlock(new ModuleWeights(a, "encoder.downsamples.1.downsamples.0."), 4, 8, slots);
        assertEquals(2, slots.count());
        Tensor x = video(4, 5, 4, 6);
        Tensor whole = block.forward(b, x, (FeatureCache) null);
        FeatureCache cache = new FeatureCache(slots.count());
        Tensor s = streamed(x, new int[] {1, 1, 1, 1, 1}, c -> block.forward(b, c, cache));
        assertArrayEquals(whole.array(), s.array(), 1e-6f);
    }

    @Test
    void upsample3dSkipsTimeOnTheFirstChunkThenConvolvesTheRestCausally() {
        int c = 3;
        InMemoryArchive a = new InMemoryArchive("memory").put("r.resample.1.weight", RandomVae.gaussian(random, 0.3f, c, c, 3, 3))
                .put("r.resample.1.bias", RandomVae.gaussian(random, 0.1f, c))
                .put("r.time_conv.weight", RandomVae.gaussian(random, 0.3f, 2 * c, c, 3, 1, 1))
                .put("r.time_conv.bias", RandomVae.gaussian(random, 0.1f, 2 * c));
        FeatureCache.Numbering slots = new FeatureCache.Numbering();
        Resample up = new Resample(new ModuleWeights(a, "r."), c, Resample.Mode.UPSAMPLE3D, slots);
        Tensor x = video(c, 5, 3, 4);
        FeatureCache cache = new FeatureCache(slots.count());
        Tensor s = streamed(x, new int[] {1, 1, 1, 1, 1}, f -> up.forward(b, f, cache));

        // Full-video rule: frame 0 is only upsampled in space; frames 1.. go through one causal
        // time_conv pass (zero padded in front, frame 0 not part of it), each step giving 2 frames.
        Tensor conv2d = a.tensor("r.resample.1.weight").reshape(c, c, 1, 3, 3);
        Tensor bias2d = a.tensor("r.resample.1.bias");
        CausalConv3d timeConv = new CausalConv3d(new ModuleWeights(a, "r.time_conv."), c, 2 * c, new int[] {3, 1, 1},
                new int[] {1, 0, 0}, 1, null);
        Tensor rest = timeConv.forward(b, b.slice(x, 1, 1, 5), (Tensor) null); // [2c, 4, 3, 4]
        Tensor interleaved = Tensor.zeros(c, 8, 3, 4);
        for (int ch = 0; ch < c; ch++) {
            for (int t = 0; t < 4; t++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(rest.array(), ((j * c + ch) * 4 + t) * 12, interleaved.array(), (ch * 8 + 2 * t + j) * 12, 12);
                }
            }
        }
        Tensor frames = b.concat(1, b.slice(x, 1, 0, 1), interleaved); // [c, 9, 3, 4]
        Tensor expected = b.conv3d(b.upsampleNearest2x(frames), conv2d, bias2d, 1, 1, 1, 1, 1, 1, 1);
        assertEquals(9, s.dim(1));
        assertArrayEquals(expected.array(), s.array(), 1e-6f);
    }

    @Test
    void downsample3dKeepsTheFirstFrameThenStridesOverAllFrames() {
        int c = 3;
        InMemoryArchive a = new InMemoryArchive("memory").put("r.resample.1.weight", RandomVae.gaussian(random, 0.3f, c, c, 3, 3))
                .put("r.resample.1.bias", RandomVae.gaussian(random, 0.1f, c))
                .put("r.time_conv.weight", RandomVae.gaussian(random, 0.3f, c, c, 3, 1, 1))
                .put("r.time_conv.bias", RandomVae.gaussian(random, 0.1f, c));
        FeatureCache.Numbering slots = new FeatureCache.Numbering();
        Resample down = new Resample(new ModuleWeights(a, "r."), c, Resample.Mode.DOWNSAMPLE3D, slots);
        Tensor x = video(c, 9, 6, 8);
        FeatureCache cache = new FeatureCache(slots.count());
        Tensor s = streamed(x, new int[] {1, 4, 4}, f -> down.forward(b, f, cache));

        // Full-video rule: y = per-frame spatial downsample; output = [y0, time_conv(y0..y8, stride 2)].
        Tensor y = b.conv3d(x, a.tensor("r.resample.1.weight").reshape(c, c, 1, 3, 3), a.tensor("r.resample.1.bias"),
                1, 2, 2, 0, 1, 0, 1);
        Tensor strided = b.conv3d(y, a.tensor("r.time_conv.weight"), a.tensor("r.time_conv.bias"), 2, 1, 1, 0, 0, 0, 0);
        Tensor expected = b.concat(1, b.slice(y, 1, 0, 1), strided);
        assertEquals(5, s.dim(1));
        assertArrayEquals(expected.array(), s.array(), 1e-6f);
    }

    @Test
    void decoderStreamIsCausalAndResettable() {
        WanVae vae = new WanVae(RandomVae.tiny(7), b);
        Tensor latents = RandomVae.gaussian(random, 1f, 48, 3, 2, 3);
        Tensor whole = vae.decode(latents); // [3, 9, 32, 48]
        assertEquals(9, whole.dim(1));

        VaeDecoderStream stream = vae.decoderStream();
        VaeDecoderStream other = vae.decoderStream();
        int at = 0;
        for (int i = 0; i < 3; i++) {
            Tensor frame = b.slice(latents, 1, i, i + 1);
            other.decodeFrame(RandomVae.gaussian(random, 1f, 48, 1, 2, 3)); // an unrelated stream in between
            Tensor px = stream.decodeFrame(frame);
            assertEquals(i == 0 ? 1 : 4, px.dim(1));
            assertArrayEquals(b.slice(whole, 1, at, at + px.dim(1)).array(), px.array(), EPS, "latent frame " + i);
            at += px.dim(1);
        }
        // Causality: the first frames do not depend on later latents.
        Tensor prefix = vae.decode(b.slice(latents, 1, 0, 2));
        assertArrayEquals(b.slice(whole, 1, 0, 5).array(), prefix.array(), EPS);
        // After reset the stream starts a new video.
        stream.reset();
        assertEquals(0, stream.framesDecoded());
        assertArrayEquals(b.slice(whole, 1, 0, 1).array(), stream.decodeFrame(b.slice(latents, 1, 0, 1)).array(), EPS);
    }

    @Test
    void encoderIsCausal() {
        WanVae vae = new WanVae(RandomVae.tiny(8), b);
        Tensor video = RandomVae.gaussian(random, 0.5f, 3, 9, 32, 48);
        Tensor latents = vae.encodeVideo(video);
        assertEquals(java.util.List.of(48, 3, 2, 3), java.util.Arrays.stream(latents.shape().dims()).boxed().toList());
        Tensor first = vae.encodeImage(b.slice(video, 1, 0, 1));
        assertArrayEquals(b.slice(latents, 1, 0, 1).array(), first.array(), EPS);
        Tensor two = vae.encodeVideo(b.slice(video, 1, 0, 5));
        assertArrayEquals(b.slice(latents, 1, 0, 2).array(), two.array(), EPS);
    }
}
