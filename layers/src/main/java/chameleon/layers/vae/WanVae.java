package chameleon.layers.vae;

import chameleon.weights.ModuleWeights;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;
import chameleon.weights.WeightsException;

/**
 * The Wan2.2 VAE ({@code WanVAE_}, z_dim 48): pixels [3, F, H, W] in [−1, 1] ↔ normalised latents
 * [48, F', H/16, W/16], with F = 1 + 4(F' − 1). Channel-first float32 throughout.
 *
 * <p>Built from a state dict with the official names ({@code encoder.*}, {@code conv1.*},
 * {@code conv2.*}, {@code decoder.*}); the config is inferred from the tensor shapes
 * ({@link VaeConfig#infer}), so the golden tiny VAE and the real one load alike. Weights stay in the
 * archive (views), which must remain open while this object is used. Immutable and thread-safe;
 * streams ({@link #decoderStream()}) carry the per-video state.
 *
 * <p>Latent normalisation (MODEL.md §3.1): encode returns (μ − mean)/std, decode takes z and uses
 * z·std + mean, per channel, with the 48 Wan2.2 constants below.
 */
public final class WanVae {
    /** Per-channel latent mean of Wan2.2's VAE (the official {@code WanVAEWrapper}). */
    public static final float[] LATENTS_MEAN = {
        -0.2289f, -0.0052f, -0.1323f, -0.2339f, -0.2799f, 0.0174f, 0.1838f, 0.1557f, -0.1382f, 0.0542f, 0.2813f, 0.0891f,
        0.1570f, -0.0098f, 0.0375f, -0.1825f, -0.2246f, -0.1207f, -0.0698f, 0.5109f, 0.2665f, -0.2108f, -0.2158f, 0.2502f,
        -0.2055f, -0.0322f, 0.1109f, 0.1567f, -0.0729f, 0.0899f, -0.2799f, -0.1230f, -0.0313f, -0.1649f, 0.0117f, 0.0723f,
        -0.2839f, -0.2083f, -0.0520f, 0.3748f, 0.0152f, 0.1957f, 0.1433f, -0.2944f, 0.3573f, -0.0548f, -0.1681f, -0.0667f};

    /** Per-channel latent standard deviation of Wan2.2's VAE. */
    public static final float[] LATENTS_STD = {
        0.4765f, 1.0364f, 0.4514f, 1.1677f, 0.5313f, 0.4990f, 0.4818f, 0.5013f, 0.8158f, 1.0344f, 0.5894f, 1.0901f,
        0.6885f, 0.6165f, 0.8454f, 0.4978f, 0.5759f, 0.3523f, 0.7135f, 0.6804f, 0.5833f, 1.4146f, 0.8986f, 0.5659f,
        0.7069f, 0.5338f, 0.4889f, 0.4917f, 0.4069f, 0.4999f, 0.6866f, 0.4093f, 0.5709f, 0.6065f, 0.6415f, 0.4944f,
        0.5726f, 1.2042f, 0.5458f, 1.6887f, 0.3971f, 1.0600f, 0.3943f, 0.5537f, 0.5444f, 0.4089f, 0.7468f, 0.7744f};

    private final TensorArchive weights;
    private final Backend backend;
    private final VaeConfig config;
    private final Encoder3d encoder;
    private final Tensor muWeight; // conv1.weight rows [0, z): [z, 2z, 1, 1, 1] (only μ is needed, not log σ²)
    private final Tensor muBias;   // conv1.bias [0, z)
    private final Decoder3d decoder;
    private final CausalConv3d conv2; // [z, z, 1, 1, 1], applied to every latent frame before the decoder
    private final Tensor std;          // [z]
    private final Tensor mean;         // [z]
    private final Tensor invStd;       // [z]
    private final Tensor negMeanOverStd; // [z]

    /**
     * @param weights a {@code WanVAE_} state dict with official names (safetensors or .pth)
     * @param backend where the math runs
     * @throws WeightsException naming the archive and tensor when a tensor is missing or mis-shaped,
     *                          or when the latent width is not 48
     */
    public WanVae(TensorArchive weights, Backend backend) {
        this.weights = weights;
        this.backend = backend;
        this.config = VaeConfig.infer(weights);
        int z = config.zDim();
        if (z != LATENTS_MEAN.length) {
            throw new WeightsException(weights.source() + ": conv2.weight gives z_dim " + z + "; the Wan2.2 latent "
                    + "normalisation needs " + LATENTS_MEAN.length);
        }
        ModuleWeights root = new ModuleWeights(weights, "");
        this.encoder = new Encoder3d(root.child("encoder"), config);
        ModuleWeights conv1 = root.child("conv1");
        this.muWeight = conv1.tensor("weight", 2 * z, 2 * z, 1, 1, 1).rows(0, z);
        this.muBias = conv1.tensor("bias", 2 * z).rows(0, z);
        this.decoder = new Decoder3d(root.child("decoder"), config);
        this.conv2 = CausalConv3d.cube(root.child("conv2"), z, z, 1, null);
        float[] inv = new float[z], shift = new float[z];
        for (int c = 0; c < z; c++) {
            inv[c] = 1f / LATENTS_STD[c];
            shift[c] = -LATENTS_MEAN[c] * inv[c];
        }
        this.std = Tensor.of(LATENTS_STD.clone(), z);
        this.mean = Tensor.of(LATENTS_MEAN.clone(), z);
        this.invStd = Tensor.of(inv, z);
        this.negMeanOverStd = Tensor.of(shift, z);
    }

    public VaeConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    /** The state dict this VAE reads its weights from (official names; open while this VAE is used). */
    public TensorArchive weights() {
        return weights;
    }

    /** One image [3, 1, H, W] in [−1, 1] (H, W multiples of 16) → normalised latent [48, 1, H/16, W/16]. */
    public Tensor encodeImage(Tensor image) {
        if (image.shape().rank() != 4 || image.dim(1) != 1) {
            throw new IllegalArgumentException("encodeImage: " + image.shape() + " is not [3, 1, H, W]");
        }
        return encodeVideo(image);
    }

    /** A video [3, 1 + 4k, H, W] in [−1, 1] → normalised latents [48, 1 + k, H/16, W/16]. */
    public Tensor encodeVideo(Tensor video) {
        Tensor mu = encodeMean(video);
        backend.channelAffine(mu, invStd, negMeanOverStd); // (μ − mean) / std
        return mu;
    }

    /**
     * The un-normalised posterior mean μ [48, 1 + k, H/16, W/16] of a video [3, 1 + 4k, H, W]: patchify,
     * encode frame 0 alone and then groups of 4 with one cache, {@code conv1}, first 48 channels.
     *
     * <p>A single frame (an image) runs on the backend's device encoder when it offers one
     * ({@link ResidentVaeSource#residentEncoder}: activations stay on the device); videos of more frames, and
     * backends without one, run op by op through {@link Encoder3d}.
     */
    public Tensor encodeMean(Tensor video) {
        int s = config.spatialStride(), ts = config.temporalStride();
        if (video.shape().rank() != 4 || video.dim(0) != 3 || (video.dim(1) - 1) % ts != 0
                || video.dim(2) % s != 0 || video.dim(3) % s != 0) {
            throw new IllegalArgumentException("encode: " + video.shape() + " is not [3, 1 + " + ts + "k, H, W] with H, W"
                    + " multiples of " + s);
        }
        DeviceVaeEncoder device = video.dim(1) == 1 && backend instanceof ResidentVaeSource r ? r.residentEncoder(this) : null;
        if (device != null) {
            return device.encodeMean(video);
        }
        Tensor x = Patchify.patchify(backend, video); // [12, F, H/2, W/2]
        int frames = x.dim(1), chunks = 1 + (frames - 1) / ts;
        FeatureCache cache = encoder.newCache();
        Tensor[] outs = new Tensor[chunks];
        for (int i = 0; i < chunks; i++) {
            int from = i == 0 ? 0 : 1 + ts * (i - 1), to = i == 0 ? 1 : 1 + ts * i;
            Tensor chunk = frames == 1 ? x : backend.slice(x, 1, from, to);
            outs[i] = encoder.forward(backend, chunk, cache); // [2z, 1, h, w]
        }
        Tensor h = chunks == 1 ? outs[0] : backend.concat(1, outs);
        return backend.conv3d(h, muWeight, muBias, 1, 1, 1, 0, 0, 0, 0);
    }

    /** A new streaming decoder with an empty cache. */
    public VaeDecoderStream decoderStream() {
        return new VaeDecoderStream(this);
    }

    /**
     * Decodes normalised latents [48, F', h, w] in one stream → unclamped pixels
     * [3, 1 + 4(F' − 1), 16h, 16w] (equal to feeding the frames one by one to a fresh stream).
     */
    public Tensor decode(Tensor latents) {
        VaeDecoderStream stream = decoderStream();
        int n = latents.dim(1);
        Tensor[] outs = new Tensor[n];
        for (int i = 0; i < n; i++) {
            outs[i] = stream.decodeFrame(n == 1 ? latents : backend.slice(latents, 1, i, i + 1));
        }
        return n == 1 ? outs[0] : backend.concat(1, outs);
    }

    /** In place: clamps decoded pixels to [−1, 1] (the official {@code decode_to_pixel}); returns x. */
    public Tensor clampPixels(Tensor pixels) {
        backend.clamp(pixels, -1f, 1f);
        return pixels;
    }

    // ---- used by VaeDecoderStream ----

    Decoder3d decoder() {
        return decoder;
    }

    /** A normalised latent frame [48, T, h, w] → z·std + mean, through {@code conv2}: [48, T, h, w] (new). */
    Tensor denormalizeAndProject(Tensor latent) {
        if (latent.shape().rank() != 4 || latent.dim(0) != config.zDim()) {
            throw new IllegalArgumentException("latent " + latent.shape() + " is not [" + config.zDim() + ", T, h, w]");
        }
        Tensor z = latent.copy();
        backend.channelAffine(z, std, mean);
        return conv2.forward(backend, z, (Tensor) null);
    }
}
