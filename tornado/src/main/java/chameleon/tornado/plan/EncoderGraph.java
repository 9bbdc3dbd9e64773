package chameleon.tornado.plan;

import chameleon.layers.vae.VaeConfig;
import chameleon.tensor.Tensor;
import chameleon.tornado.kernels.CausalConvKernels;
import chameleon.weights.ModuleWeights;
import chameleon.weights.TensorArchive;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The Wan2.2 VAE encoder ({@code encoder.*} and the μ half of {@code conv1}, MODEL.md §3.4) of a single image as one
 * chain of TaskGraphs: the host uploads the patchified image (channels-last [1, H/2, W/2, 12]) and downloads μ
 * [1, h, w, z]; every activation stays on the device. Built for one image size, reused for every image of it.
 *
 * <p>A single image is the encoder's first and only chunk (T = 1, every feature cache empty), which fixes every
 * temporal rule of {@code Encoder3d}:
 * <ul>
 *   <li>a causal 3×3×3 convolution sees [0, 0, x] in time, so only its last temporal tap meets data: it runs as
 *       the 3×3 convolution of that tap ({@code weight[:, :, 2]}), the same sum without the terms that are exactly
 *       zero, at a third of the work and weight memory; nothing is cached;</li>
 *   <li>downsample3d's {@code time_conv} is skipped on the first chunk ({@code Resample.downsampleTime}), so both
 *       Resample modes are {@code ZeroPad2d((0, 1, 0, 1))} + {@code resample.1} 3×3 stride 2;</li>
 *   <li>{@code AvgDown3D} with factor_t 2 pads one zero frame in front of the image.</li>
 * </ul>
 * Multi-frame videos keep the op-by-op path ({@code WanVae.encodeMean}).
 *
 * <p>Convolutions: {@link CausalConvKernels#convMma} on tensor cores (PTX/CUDA), else
 * {@link CausalConvKernels#convF32}; the middle attention as in {@link DecoderGraph}.
 */
public final class EncoderGraph extends VaeGraph {
    private final int height;
    private final int width;
    private final int z;
    private final Volume input = new Volume("image"); // [1, H/2, W/2, 12] the patchified image
    private final Volume mu = new Volume("mu");       // [1, h, w, z] μ, conv1's first z channels

    /**
     * @param weights a {@code WanVAE_} state dict (official names); {@code encoder.*} and {@code conv1.*} are read
     * @param height  image rows; {@code width} image columns, both multiples of the VAE's spatial stride (16)
     * @param mma     convolutions on tensor cores (fp16 operands) rather than in fp32
     */
    public EncoderGraph(TensorArchive weights, VaeConfig config, int height, int width, boolean mma) {
        super(mma);
        int s = config.spatialStride();
        if (height <= 0 || width <= 0 || height % s != 0 || width % s != 0) {
            throw new IllegalArgumentException("encoder graph: image " + height + "×" + width + " is not a positive "
                    + "multiple of " + s + " in both dimensions");
        }
        this.height = height;
        this.width = width;
        this.z = config.zDim();
        ModuleWeights enc = new ModuleWeights(weights, "encoder.");
        int[] dims = config.encoderDims();
        Volume x = causalConv(enc.child("conv1"), input);
        int n = config.dimMult().length;
        for (int i = 0; i < n; i++) {
            boolean temporal = i < config.temporalDownsample().length && config.temporalDownsample()[i];
            x = stage(enc.child("downsamples").child(i), x, dims[i], dims[i + 1], config.numResBlocks(), temporal,
                    i != n - 1);
        }
        int c = dims[n];
        ModuleWeights mid = enc.child("middle");
        Volume next = residual(mid.child(0), x, c, c);
        pool.release(x);
        x = next;
        attention(mid.child(1), x, c, (height / s) * (width / s));
        next = residual(mid.child(2), x, c, c);
        pool.release(x);
        x = next;
        ModuleWeights head = enc.child("head");
        Volume normed = pool.take();
        norm(head.child(0), x, normed, true);
        pool.release(x);
        Volume moments = causalConv(head.child(2), normed); // [1, h, w, 2z]: μ and log σ²
        pool.release(normed);
        // conv1 (1×1×1, 2z → 2z): only its first z output channels, μ, are wanted (WanVae.encodeMean).
        ModuleWeights conv1 = new ModuleWeights(weights, "conv1.");
        ConvWeight muWeight = params.conv("conv1.weight[0:" + z + "]",
                conv1.tensor("weight", 2 * z, 2 * z, 1, 1, 1).rows(0, z), conv1.tensor("bias", 2 * z).rows(0, z));
        conv(muWeight, moments, ConvSampling.SAME, false, mu); // the last op: the chain's last graph writes μ
        pool.release(moments);
        prepare();
        mu.allocate();
        build("VAE encoder", input, mu.array);
    }

    /** Whether this graph encodes images of height × width. */
    public boolean fits(int height, int width) {
        return this.height == height && this.width == width;
    }

    /**
     * Encodes one image.
     *
     * @param image [3, 1, H, W] in [−1, 1] of this graph's size
     * @return the un-normalised posterior mean μ [z, 1, H/16, W/16]
     */
    public Tensor encodeMean(Tensor image) {
        if (image.shape().rank() != 4 || image.dim(0) != 3 || image.dim(1) != 1 || image.dim(2) != height
                || image.dim(3) != width) {
            throw new IllegalArgumentException("encoder graph for [3, 1, " + height + ", " + width + "] got " + image.shape());
        }
        // patchify on the host, straight into channels-last: pixel (2h + q, 2w + r) of colour c is channel
        // c·4 + r·2 + q at (h, w) (Patchify)
        float[] v = image.toFloatArray();
        FloatArray in = input.array;
        int half = width / 2;
        for (int c = 0; c < 3; c++) {
            for (int py = 0; py < height; py++) {
                for (int px = 0; px < width; px++) {
                    int channel = c * 4 + (px & 1) * 2 + (py & 1);
                    in.set(((py >> 1) * half + (px >> 1)) * VaeConfig.PATCH_CHANNELS + channel, v[(c * height + py) * width + px]);
                }
            }
        }
        run(); // the geometry the constructor's prepare() wrote holds for every image: one chunk, one size
        int h = mu.h, w = mu.w, plane = h * w;
        float[] out = new float[z * plane];
        FloatArray m = mu.array;
        for (int s = 0; s < plane; s++) {
            for (int c = 0; c < z; c++) {
                out[c * plane + s] = m.get(s * z + c);
            }
        }
        return Tensor.of(out, z, 1, h, w);
    }

    /**
     * The encoder's causal 3×3×3 convolutions on a single image: input frames [0, 0, x], so only the last temporal
     * tap meets data; it runs as the 3×3 convolution {@code weight[:, :, kt − 1]} (exactly the same sum without its
     * zero terms). Nothing is cached: an image is the only chunk.
     */
    @Override
    Volume causalConv(ModuleWeights m, Volume x) {
        Tensor wt = m.tensor("weight", m.dims("weight"));
        if (wt.shape().rank() != 5 || wt.dim(2) != wt.dim(3)) {
            throw new IllegalArgumentException(m.prefix() + "weight: expected a causal [Cout, Cin, k, k, k] kernel, got "
                    + wt.shape());
        }
        return conv(weight(m, lastTap(wt)), x, ConvSampling.SAME, false);
    }

    /** w [Cout, Cin, kt, kh, kw] → w[:, :, kt − 1] as [Cout, Cin, 1, kh, kw]. */
    static Tensor lastTap(Tensor w) {
        int cout = w.dim(0), cin = w.dim(1), kt = w.dim(2), plane = w.dim(3) * w.dim(4);
        float[] src = w.toFloatArray();
        float[] dst = new float[cout * cin * plane];
        for (int oc = 0; oc < cout * cin; oc++) {
            System.arraycopy(src, (oc * kt + kt - 1) * plane, dst, oc * plane, plane);
        }
        return Tensor.of(dst, cout, cin, 1, w.dim(3), w.dim(4));
    }

    // ---- the module tree ----

    /**
     * {@code Down_ResidualBlock} ({@code encoder.downsamples.i}, MODEL.md §3.4): the residual blocks, the Resample
     * when the stage downsamples, plus the {@code AvgDown3D} shortcut of the stage input. x is released.
     */
    private Volume stage(ModuleWeights m, Volume x, int in, int out, int blocks, boolean temporal, boolean down) {
        ModuleWeights seq = m.child("downsamples");
        Volume y = residuals(seq, x, blocks, in, out);
        if (down) {
            // downsample2d, and downsample3d on its first chunk (time_conv skipped): pad (0, 1, 0, 1) + 3×3 stride 2
            Volume r = conv(weight(seq.child(blocks).child("resample").child(1), null), y, ConvSampling.DOWNSAMPLED, false);
            if (y != x) {
                pool.release(y);
            }
            y = r;
        }
        int ft = temporal ? 2 : 1, fs = down ? 2 : 1;
        if (ft == 1 && fs == 1 && in == out) {
            add(y, x); // AvgDown3D without resampling is the identity
        } else {
            ops.add(new ShortcutOp("avgDown" + ops.size(), ShortcutOp.Kind.AVG_DOWN, y, x, in, out, ft, fs, geometry));
        }
        pool.release(x);
        return y;
    }

    private void prepare() {
        input.shape(1, height / 2, width / 2, VaeConfig.PATCH_CHANNELS);
        simulate(true);
        if (mu.c != z || mu.t != 1) {
            throw new IllegalStateException("encoder graph ends in [" + mu.t + ", " + mu.h + ", " + mu.w + ", " + mu.c
                    + "], not one frame of " + z + " channels");
        }
    }
}
