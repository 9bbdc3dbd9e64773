package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.weights.TensorArchive;
import chameleon.weights.WeightsException;
import java.util.Arrays;

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

    @Override
    public String toString() {
        return "VaeConfig[dim=" + dim + ", decDim=" + decDim + ", zDim=" + zDim + ", dimMult=" + Arrays.toString(dimMult)
                + ", numResBlocks=" + numResBlocks + ", temporalDownsample=" + Arrays.toString(temporalDownsample)
                + ", temporalUpsample=" + Arrays.toString(temporalUpsample) + "]";
    }
}
