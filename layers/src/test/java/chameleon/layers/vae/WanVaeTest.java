package chameleon.layers.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.InMemoryArchive;
import chameleon.weights.ModuleWeights;
import chameleon.weights.WeightsException;
import org.junit.jupiter.api.Test;

/** Config inference, cache layout and named weight errors on a random tiny VAE. */
class WanVaeTest {
    private final Backend b = new CpuBackend();

    @Test
    void configIsReadFromTensorShapes() {
        VaeConfig cfg = VaeConfig.infer(RandomVae.build(1, 6, 5, 48, new int[] {1, 2, 4, 4}, 2, new boolean[] {false, true, true}));
        assertEquals(6, cfg.dim());
        assertEquals(5, cfg.decDim());
        assertEquals(48, cfg.zDim());
        assertArrayEquals(new int[] {1, 2, 4, 4}, cfg.dimMult());
        assertEquals(2, cfg.numResBlocks());
        assertArrayEquals(new boolean[] {false, true, true}, cfg.temporalDownsample());
        assertArrayEquals(new boolean[] {true, true, false}, cfg.temporalUpsample());
        assertArrayEquals(new int[] {6, 6, 12, 24, 24}, cfg.encoderDims());
        assertArrayEquals(new int[] {20, 20, 20, 10, 5}, cfg.decoderDims());
        assertEquals(16, cfg.spatialStride());
        assertEquals(4, cfg.temporalStride());
    }

    @Test
    void cachedConvolutionsMatchTheOfficialCount() {
        VaeConfig cfg = VaeConfig.infer(RandomVae.tiny(1));
        ModuleWeights root = new ModuleWeights(RandomVae.tiny(1), "");
        // The official feat_cache has 26 (encoder) and 34 (decoder) entries, one per CausalConv3d; the two
        // 1×1 shortcut convolutions of each never use theirs, so 24 and 32 slots are read and written.
        assertEquals(24, new Encoder3d(root.child("encoder"), cfg).newCache().size());
        assertEquals(32, new Decoder3d(root.child("decoder"), cfg).newCache().size());
    }

    @Test
    void shapesOfEncodeAndDecode() {
        WanVae vae = new WanVae(RandomVae.tiny(2), b);
        Tensor lat = vae.encodeImage(Tensor.zeros(3, 1, 32, 48));
        assertArrayEquals(new int[] {48, 1, 2, 3}, lat.shape().dims());
        assertArrayEquals(new int[] {3, 5, 32, 48}, vae.decode(Tensor.zeros(48, 2, 2, 3)).shape().dims());
        assertThrows(IllegalArgumentException.class, () -> vae.encodeVideo(Tensor.zeros(3, 4, 32, 48)));
        assertThrows(IllegalArgumentException.class, () -> vae.encodeImage(Tensor.zeros(3, 1, 24, 48)));
    }

    @Test
    void clampPixelsLimitsToUnitRange() {
        WanVae vae = new WanVae(RandomVae.tiny(2), b);
        Tensor px = vae.clampPixels(Tensor.of(new float[] {-2, 0.5f, 3}, 3));
        assertArrayEquals(new float[] {-1, 0.5f, 1}, px.array());
    }

    @Test
    void missingTensorIsNamed() {
        InMemoryArchive a = RandomVae.tiny(3);
        a.remove("decoder.upsamples.1.upsamples.3.time_conv.bias");
        WeightsException e = assertThrows(WeightsException.class, () -> new WanVae(a, b));
        assertTrue(e.getMessage().contains("decoder.upsamples.1.upsamples.3.time_conv.bias"), e.getMessage());
    }

    @Test
    void misShapedTensorIsNamedWithBothShapes() {
        InMemoryArchive a = RandomVae.tiny(4);
        a.put("decoder.middle.1.to_qkv.weight", Tensor.zeros(48, 8, 1, 1)); // the decoder middle is 16 wide
        WeightsException e = assertThrows(WeightsException.class, () -> new WanVae(a, b));
        assertTrue(e.getMessage().contains("decoder.middle.1.to_qkv.weight") && e.getMessage().contains("[48, 8, 1, 1]")
                && e.getMessage().contains("[48, 16, 1, 1]"), e.getMessage());
    }
}
