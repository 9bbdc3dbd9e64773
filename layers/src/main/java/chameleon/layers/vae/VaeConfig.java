package chameleon.layers.vae;

import chameleon.tensor.Shape;
import chameleon.weights.ModuleWeights;
import chameleon.weights.TensorArchive;
import chameleon.weights.WeightsException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hyper-parameters of a {@code WanVAE_}, as read back from its tensor shapes.
 *
 * @param dim                 encoder base width ({@code encoder.conv1.weight} [dim, 12, 3, 3, 3]); 160 for Wan2.2
 * @param decDim              decoder base width; 256 for Wan2.2
 * @param zDim                latent channels ({@code conv2.weight} [z, z, 1, 1, 1]); 48
 * @param dimMult             width multipliers per stage, e.g. [1, 2, 4, 4]
 * @param numResBlocks        ResidualBlocks per encoder stage (the decoder has one more); 2
 * @param temporalDownsample  per encoder stage but the last: does it halve time? [false, true, true]
 * @param temporalUpsample    per decoder stage but the last: does it double time? [true, true, false]
 */
public record VaeConfig(int dim, int decDim, int zDim, int[] dimMult, int numResBlocks,
                        boolean[] temporalDownsample, boolean[] temporalUpsample) {

    /** Channels of the 2×2 pixel-(un)shuffled RGB input/output. */
    public static final int PATCH_CHANNELS = 12;

    /**
     * The Wan2.2 VAE ({@code Wan2.2_VAE.pth}, MODEL.md §3): encoder width 160, decoder width 256, z 48,
     * stages [1, 2, 4, 4] of 2 residual blocks, time halved after stages 1 and 2 (doubled before the
     * decoder's stages 1 and 2): stride 4×16×16.
     */
    public static VaeConfig wan22() {
        return new VaeConfig(160, 256, 48, new int[] {1, 2, 4, 4}, 2, new boolean[] {false, true, true},
                new boolean[] {true, true, false});
    }

    /** Encoder widths: dim · [1] + dimMult, e.g. [160, 160, 320, 640, 640]. */
    public int[] encoderDims() {
        int[] d = new int[dimMult.length + 1];
        d[0] = dim;
        for (int i = 0; i < dimMult.length; i++) {
            d[i + 1] = dim * dimMult[i];
        }
        return d;
    }

    /** Decoder widths: decDim · [dimMult.last] + reversed(dimMult), e.g. [1024, 1024, 1024, 512, 256]. */
    public int[] decoderDims() {
        int n = dimMult.length;
        int[] d = new int[n + 1];
        d[0] = decDim * dimMult[n - 1];
        for (int i = 0; i < n; i++) {
            d[i + 1] = decDim * dimMult[n - 1 - i];
        }
        return d;
    }

    /** Pixels per latent pixel along H and W: 2 (patchify) · 2 per downsampling stage; 16. */
    public int spatialStride() {
        return 2 << (dimMult.length - 1);
    }

    /** Pixel frames per latent frame after the first: 2^(temporal stages); 4. */
    public int temporalStride() {
        int s = 1;
        for (boolean t : temporalDownsample) {
            s *= t ? 2 : 1;
        }
        return s;
    }

    /**
     * Reads the config from the tensor shapes of a {@code WanVAE_} state dict (official names, no
     * prefix). Only what the shapes determine is read here; the modules check every tensor's exact
     * shape when they are built.
     *
     * @throws WeightsException naming the archive and the tensor when a defining tensor is missing or
     *                          its shape does not fit
     */
    public static VaeConfig infer(TensorArchive archive) {
        ModuleWeights root = new ModuleWeights(archive, "");
        int zDim = root.dims("conv2.weight")[0];
        int[] enc1 = root.dims("encoder.conv1.weight");
        if (enc1.length != 5 || enc1[1] != PATCH_CHANNELS) {
            throw new WeightsException(archive.source() + ": encoder.conv1.weight has shape " + Arrays.toString(enc1)
                    + ", expected [dim, " + PATCH_CHANNELS + ", 3, 3, 3]");
        }
        int dim = enc1[0];
        int stages = 0;
        while (root.has("encoder.downsamples." + stages + ".downsamples.0.residual.0.gamma")) {
            stages++;
        }
        int numResBlocks = 0;
        while (root.has("encoder.downsamples.0.downsamples." + numResBlocks + ".residual.0.gamma")) {
            numResBlocks++;
        }
        if (stages < 2 || numResBlocks < 1) {
            throw new WeightsException(archive.source() + ": found " + stages + " encoder stages of " + numResBlocks
                    + " residual blocks under encoder.downsamples.*; not a WanVAE_ checkpoint");
        }
        int[] dimMult = new int[stages];
        for (int i = 0; i < stages; i++) {
            String name = "encoder.downsamples." + i + ".downsamples.0.residual.2.weight";
            int out = root.dims(name)[0];
            if (out % dim != 0) {
                throw new WeightsException(archive.source() + ": " + name + " has " + out
                        + " output channels, not a multiple of dim " + dim);
            }
            dimMult[i] = out / dim;
        }
        boolean[] down = new boolean[stages - 1];
        boolean[] up = new boolean[stages - 1];
        for (int i = 0; i < stages - 1; i++) {
            down[i] = root.has("encoder.downsamples." + i + ".downsamples." + numResBlocks + ".time_conv.weight");
            up[i] = root.has("decoder.upsamples." + i + ".upsamples." + (numResBlocks + 1) + ".time_conv.weight");
        }
        int[] head = root.dims("decoder.head.2.weight");
        if (head.length != 5 || head[0] != PATCH_CHANNELS || head[1] % dimMult[0] != 0) {
            throw new WeightsException(archive.source() + ": decoder.head.2.weight has shape " + Arrays.toString(head)
                    + ", expected [" + PATCH_CHANNELS + ", decDim·" + dimMult[0] + ", 3, 3, 3]");
        }
        return new VaeConfig(dim, head[1] / dimMult[0], zDim, dimMult, numResBlocks, down, up);
    }

    /**
     * Every tensor of a {@code WanVAE_} state dict with this config, with its shape, in module order:
     * {@code encoder.*}, {@code conv1.*}, {@code conv2.*}, {@code decoder.*}. Derived from the same
     * module tree the block classes bind ({@link Encoder3d}, {@link Decoder3d}, {@link ResidualBlock},
     * {@link Resample}, {@link AttentionBlock}), so it also lists what the official state dict holds but
     * the engine never reads (the log σ² half of {@code conv1}). 196 tensors for the Wan2.2 layout.
     */
    public Map<String, Shape> expectedTensors() {
        Map<String, Shape> t = new LinkedHashMap<>();
        int n = dimMult.length;
        int[] enc = encoderDims();
        conv(t, "encoder.conv1", enc[0], PATCH_CHANNELS, 3, 3, 3);
        for (int i = 0; i < n; i++) {
            String stage = "encoder.downsamples." + i + ".downsamples.";
            for (int j = 0; j < numResBlocks; j++) {
                residual(t, stage + j, j == 0 ? enc[i] : enc[i + 1], enc[i + 1]);
            }
            if (i != n - 1) { // every stage but the last closes with a Resample
                String resample = stage + numResBlocks;
                conv(t, resample + ".resample.1", enc[i + 1], enc[i + 1], 3, 3);
                if (i < temporalDownsample.length && temporalDownsample[i]) {
                    conv(t, resample + ".time_conv", enc[i + 1], enc[i + 1], 3, 1, 1); // stride-2 time conv
                }
            }
        }
        middle(t, "encoder.middle", enc[n]);
        t.put("encoder.head.0.gamma", Shape.of(enc[n], 1, 1, 1));
        conv(t, "encoder.head.2", 2 * zDim, enc[n], 3, 3, 3);     // μ and log σ²
        conv(t, "conv1", 2 * zDim, 2 * zDim, 1, 1, 1);
        conv(t, "conv2", zDim, zDim, 1, 1, 1);
        int[] dec = decoderDims();
        conv(t, "decoder.conv1", dec[0], zDim, 3, 3, 3);
        middle(t, "decoder.middle", dec[0]);
        for (int i = 0; i < n; i++) {
            String stage = "decoder.upsamples." + i + ".upsamples.";
            for (int j = 0; j <= numResBlocks; j++) { // the decoder has one residual block more per stage
                residual(t, stage + j, j == 0 ? dec[i] : dec[i + 1], dec[i + 1]);
            }
            if (i != n - 1) {
                String resample = stage + (numResBlocks + 1);
                conv(t, resample + ".resample.1", dec[i + 1], dec[i + 1], 3, 3);
                if (i < temporalUpsample.length && temporalUpsample[i]) {
                    conv(t, resample + ".time_conv", 2 * dec[i + 1], dec[i + 1], 3, 1, 1); // 2 frames per frame
                }
            }
        }
        t.put("decoder.head.0.gamma", Shape.of(dec[n], 1, 1, 1));
        conv(t, "decoder.head.2", PATCH_CHANNELS, dec[n], 3, 3, 3);
        return t;
    }

    /** {@code ResidualBlock(in, out)}: residual.{0,3} γ, residual.{2,6} 3³ convs, a 1³ shortcut when in ≠ out. */
    private static void residual(Map<String, Shape> t, String prefix, int in, int out) {
        t.put(prefix + ".residual.0.gamma", Shape.of(in, 1, 1, 1));
        conv(t, prefix + ".residual.2", out, in, 3, 3, 3);
        t.put(prefix + ".residual.3.gamma", Shape.of(out, 1, 1, 1));
        conv(t, prefix + ".residual.6", out, out, 3, 3, 3);
        if (in != out) {
            conv(t, prefix + ".shortcut", out, in, 1, 1, 1);
        }
    }

    /** [ResidualBlock, AttentionBlock, ResidualBlock] of width c; the attention works on images (2-D). */
    private static void middle(Map<String, Shape> t, String prefix, int c) {
        residual(t, prefix + ".0", c, c);
        t.put(prefix + ".1.norm.gamma", Shape.of(c, 1, 1));
        conv(t, prefix + ".1.to_qkv", 3 * c, c, 1, 1);
        conv(t, prefix + ".1.proj", c, c, 1, 1);
        residual(t, prefix + ".2", c, c);
    }

    /** A convolution's weight [out, in, kernel…] and bias [out]. */
    private static void conv(Map<String, Shape> t, String prefix, int out, int in, int... kernel) {
        int[] dims = new int[2 + kernel.length];
        dims[0] = out;
        dims[1] = in;
        System.arraycopy(kernel, 0, dims, 2, kernel.length);
        t.put(prefix + ".weight", Shape.of(dims));
        t.put(prefix + ".bias", Shape.of(out));
    }

    @Override
    public String toString() {
        return "VaeConfig[dim=" + dim + ", decDim=" + decDim + ", zDim=" + zDim + ", dimMult=" + Arrays.toString(dimMult)
                + ", numResBlocks=" + numResBlocks + ", temporalDownsample=" + Arrays.toString(temporalDownsample)
                + ", temporalUpsample=" + Arrays.toString(temporalUpsample) + "]";
    }
}
