package chameleon.bench;

import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a safetensors {@code WanVAE_} state dict (official names and shapes, the module tree of
 * Wan2.2's {@code vae2_2.py}: z 48, stages ×[1, 2, 4, 4], 2 residual blocks per encoder stage, time
 * halved by encoder stages 1 and 2) with seeded F32 values: conv weights N(0, 1/fan_in), biases
 * N(0, 0.1²), RMS-norm gammas around 1. Only the base widths are free: the real model has encoder
 * {@code dim} 160 and decoder {@code decDim} 256; the benchmark scales them down.
 */
final class RandomVaeCheckpoint {
    static final int Z = 48;
    static final int[] MULT = {1, 2, 4, 4};
    static final int RES_BLOCKS = 2;
    static final boolean[] TEMPORAL_DOWN = {false, true, true};

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final SplittableRandom random;

    private RandomVaeCheckpoint(long seed) {
        this.random = new SplittableRandom(seed);
    }

    static void write(Path file, int dim, int decDim, long seed) {
        RandomVaeCheckpoint r = new RandomVaeCheckpoint(seed);
        r.encoder(dim);
        r.conv("conv1", 2 * Z, 2 * Z, 1, 1, 1);
        r.conv("conv2", Z, Z, 1, 1, 1);
        r.decoder(decDim);
        SafetensorsWriter.write(file, r.tensors, Map.of("format", "pt"));
    }

    private void encoder(int dim) {
        int n = MULT.length;
        int[] widths = new int[n + 1];
        widths[0] = dim;
        for (int i = 0; i < n; i++) {
            widths[i + 1] = dim * MULT[i];
        }
        conv("encoder.conv1", widths[0], 12, 3, 3, 3);
        for (int i = 0; i < n; i++) {
            String stage = "encoder.downsamples." + i + ".downsamples.";
            for (int j = 0; j < RES_BLOCKS; j++) {
                residual(stage + j, j == 0 ? widths[i] : widths[i + 1], widths[i + 1]);
            }
            if (i < n - 1) {
                conv(stage + RES_BLOCKS + ".resample.1", widths[i + 1], widths[i + 1], 3, 3);
                if (TEMPORAL_DOWN[i]) {
                    conv(stage + RES_BLOCKS + ".time_conv", widths[i + 1], widths[i + 1], 3, 1, 1);
                }
            }
        }
        middle("encoder.middle", widths[n]);
        gamma("encoder.head.0", widths[n], 4);
        conv("encoder.head.2", 2 * Z, widths[n], 3, 3, 3);
    }

    private void decoder(int decDim) {
        int n = MULT.length;
        int[] widths = new int[n + 1];
        widths[0] = decDim * MULT[n - 1];
        for (int i = 0; i < n; i++) {
            widths[i + 1] = decDim * MULT[n - 1 - i];
        }
        conv("decoder.conv1", widths[0], Z, 3, 3, 3);
        middle("decoder.middle", widths[0]);
        for (int i = 0; i < n; i++) {
            String stage = "decoder.upsamples." + i + ".upsamples.";
            for (int j = 0; j <= RES_BLOCKS; j++) {
                residual(stage + j, j == 0 ? widths[i] : widths[i + 1], widths[i + 1]);
            }
            if (i < n - 1) {
                conv(stage + (RES_BLOCKS + 1) + ".resample.1", widths[i + 1], widths[i + 1], 3, 3);
                // Decoder stage i doubles time where encoder stage n − 2 − i halved it.
                if (TEMPORAL_DOWN[n - 2 - i]) {
                    conv(stage + (RES_BLOCKS + 1) + ".time_conv", 2 * widths[i + 1], widths[i + 1], 3, 1, 1);
                }
            }
        }
        gamma("decoder.head.0", widths[n], 4);
        conv("decoder.head.2", 12, widths[n], 3, 3, 3);
    }

    private void residual(String prefix, int in, int out) {
        gamma(prefix + ".residual.0", in, 4);
        conv(prefix + ".residual.2", out, in, 3, 3, 3);
        gamma(prefix + ".residual.3", out, 4);
        conv(prefix + ".residual.6", out, out, 3, 3, 3);
        if (in != out) {
            conv(prefix + ".shortcut", out, in, 1, 1, 1);
        }
    }

    /** ResidualBlock, AttentionBlock (2-D 1×1 convs, [c, 1, 1] gamma), ResidualBlock. */
    private void middle(String prefix, int c) {
        residual(prefix + ".0", c, c);
        gamma(prefix + ".1.norm", c, 3);
        conv(prefix + ".1.to_qkv", 3 * c, c, 1, 1);
        conv(prefix + ".1.proj", c, c, 1, 1);
        residual(prefix + ".2", c, c);
    }

    private void gamma(String prefix, int c, int rank) {
        int[] dims = rank == 4 ? new int[] {c, 1, 1, 1} : new int[] {c, 1, 1};
        tensors.put(prefix + ".gamma", RandomTensors.around(random, 1f, 0.2f, dims));
    }

    private void conv(String prefix, int out, int in, int... kernel) {
        int[] dims = new int[2 + kernel.length];
        dims[0] = out;
        dims[1] = in;
        int fanIn = in;
        for (int i = 0; i < kernel.length; i++) {
            dims[2 + i] = kernel[i];
            fanIn *= kernel[i];
        }
        tensors.put(prefix + ".weight", RandomTensors.gaussian(random, (float) (1 / Math.sqrt(fanIn)), dims));
        tensors.put(prefix + ".bias", RandomTensors.gaussian(random, 0.1f, out));
    }
}
