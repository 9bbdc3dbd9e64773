package chameleon.layers.vae;

import chameleon.tensor.Tensor;
import chameleon.weights.InMemoryArchive;
import java.util.Random;

/**
 * A {@code WanVAE_} state dict with seeded random weights, written from the module tree of
 * {@code vae2_2.py} (names and shapes), for tests that need a whole VAE without the golden files.
 */
final class RandomVae {
    private final InMemoryArchive archive = new InMemoryArchive("memory");
    private final Random random;

    private RandomVae(long seed) {
        this.random = new Random(seed);
    }

    /** dim 4, decDim 4, z 48, dimMult [1, 2, 4, 4], 2 residual blocks, temporal [false, true, true]. */
    static InMemoryArchive tiny(long seed) {
        return build(seed, 4, 4, 48, new int[] {1, 2, 4, 4}, 2, new boolean[] {false, true, true});
    }

    static InMemoryArchive build(long seed, int dim, int decDim, int z, int[] mult, int nrb, boolean[] tDown) {
        RandomVae r = new RandomVae(seed);
        int n = mult.length;
        int[] enc = new int[n + 1];
        enc[0] = dim;
        for (int i = 0; i < n; i++) {
            enc[i + 1] = dim * mult[i];
        }
        r.conv("encoder.conv1", enc[0], 12, 3, 3, 3);
        for (int i = 0; i < n; i++) {
            String p = "encoder.downsamples." + i + ".downsamples.";
            for (int j = 0; j < nrb; j++) {
                r.residual(p + j, j == 0 ? enc[i] : enc[i + 1], enc[i + 1]);
            }
            if (i != n - 1) {
                r.conv(p + nrb + ".resample.1", enc[i + 1], enc[i + 1], 3, 3);
                if (i < tDown.length && tDown[i]) {
                    r.conv(p + nrb + ".time_conv", enc[i + 1], enc[i + 1], 3, 1, 1);
                }
            }
        }
        r.middle("encoder.middle", enc[n]);
        r.gamma("encoder.head.0", enc[n], 4);
        r.conv("encoder.head.2", 2 * z, enc[n], 3, 3, 3);
        r.conv("conv1", 2 * z, 2 * z, 1, 1, 1);
        r.conv("conv2", z, z, 1, 1, 1);
        int[] dec = new int[n + 1];
        dec[0] = decDim * mult[n - 1];
        for (int i = 0; i < n; i++) {
            dec[i + 1] = decDim * mult[n - 1 - i];
        }
        r.conv("decoder.conv1", dec[0], z, 3, 3, 3);
        r.middle("decoder.middle", dec[0]);
        for (int i = 0; i < n; i++) {
            String p = "decoder.upsamples." + i + ".upsamples.";
            for (int j = 0; j <= nrb; j++) {
                r.residual(p + j, j == 0 ? dec[i] : dec[i + 1], dec[i + 1]);
            }
            if (i != n - 1) {
                r.conv(p + (nrb + 1) + ".resample.1", dec[i + 1], dec[i + 1], 3, 3);
                boolean tUp = n - 2 - i >= 0 && n - 2 - i < tDown.length && tDown[n - 2 - i];
                if (tUp) {
                    r.conv(p + (nrb + 1) + ".time_conv", 2 * dec[i + 1], dec[i + 1], 3, 1, 1);
                }
            }
        }
        r.gamma("decoder.head.0", dec[n], 4);
        r.conv("decoder.head.2", 12, dec[n], 3, 3, 3);
        return r.archive;
    }

    private void residual(String p, int in, int out) {
        gamma(p + ".residual.0", in, 4);
        conv(p + ".residual.2", out, in, 3, 3, 3);
        gamma(p + ".residual.3", out, 4);
        conv(p + ".residual.6", out, out, 3, 3, 3);
        if (in != out) {
            conv(p + ".shortcut", out, in, 1, 1, 1);
        }
    }

    private void middle(String p, int c) {
        residual(p + ".0", c, c);
        gamma(p + ".1.norm", c, 3);
        conv(p + ".1.to_qkv", 3 * c, c, 1, 1);
        conv(p + ".1.proj", c, c, 1, 1);
        residual(p + ".2", c, c);
    }

    /** gamma of shape [c, 1, 1, 1] (rank 4) or [c, 1, 1] (rank 3), around 1. */
    private void gamma(String p, int c, int rank) {
        int[] dims = rank == 4 ? new int[] {c, 1, 1, 1} : new int[] {c, 1, 1};
        Tensor g = Tensor.zeros(dims);
        for (int i = 0; i < c; i++) {
            g.array()[i] = 1f + 0.2f * (float) random.nextGaussian();
        }
        archive.put(p + ".gamma", g);
    }

    /** weight [out, in, k...] ~ N(0, 1/fan_in), bias ~ N(0, 0.1²). */
    private void conv(String p, int out, int in, int... kernel) {
        int[] dims = new int[2 + kernel.length];
        dims[0] = out;
        dims[1] = in;
        int fan = in;
        for (int i = 0; i < kernel.length; i++) {
            dims[2 + i] = kernel[i];
            fan *= kernel[i];
        }
        archive.put(p + ".weight", gaussian(random, (float) (1 / Math.sqrt(fan)), dims));
        archive.put(p + ".bias", gaussian(random, 0.1f, out));
    }

    static Tensor gaussian(Random r, float std, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = std * (float) r.nextGaussian();
        }
        return t;
    }
}
