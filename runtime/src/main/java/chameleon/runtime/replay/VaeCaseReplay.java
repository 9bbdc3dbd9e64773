package chameleon.runtime.replay;

import chameleon.layers.vae.VaeDecoderStream;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;
import java.util.LinkedHashMap;

/**
 * Replays a VAE case file ({@code vae_case.safetensors}, see {@code golden/README.md}): encodes the
 * recorded image and video, decodes the recorded latents one frame at a time in a single stream, and
 * returns every output under the case's own tensor names.
 */
public final class VaeCaseReplay {
    private VaeCaseReplay() {
    }

    /**
     * @param weights  the {@code WanVAE_} state dict ({@code vae.safetensors} or {@code vae.pth})
     * @param caseFile the case: {@code enc_image_in} [3, 1, H, W], {@code dec_latent_in} [48, F', h, w],
     *                 {@code enc_video_in} [3, 1 + 4k, H, W], optionally {@code latents_mean/std} [48]
     * @param backend  where the math runs
     * @return {@code enc_image_latent}, {@code enc_image_mu_raw}, {@code dec_out_raw}, {@code dec_out},
     *         {@code enc_video_latent}, in that order
     * @throws IllegalArgumentException when the case's latent mean/std differ from the Wan2.2 constants
     */
    public static LinkedHashMap<String, Tensor> run(TensorArchive weights, TensorArchive caseFile, Backend backend) {
        requireConstants(caseFile, "latents_mean", WanVae.LATENTS_MEAN);
        requireConstants(caseFile, "latents_std", WanVae.LATENTS_STD);
        WanVae vae = new WanVae(weights, backend);
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();

        Tensor image = caseFile.tensor("enc_image_in");
        out.put("enc_image_latent", vae.encodeImage(image));
        out.put("enc_image_mu_raw", vae.encodeMean(image));

        Tensor latents = caseFile.tensor("dec_latent_in"); // [48, F', h, w]
        VaeDecoderStream stream = vae.decoderStream();
        Tensor[] frames = new Tensor[latents.dim(1)];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = stream.decodeFrame(backend.slice(latents, 1, i, i + 1));
        }
        Tensor raw = frames.length == 1 ? frames[0] : backend.concat(1, frames);
        out.put("dec_out_raw", raw);
        out.put("dec_out", vae.clampPixels(raw.copy()));

        out.put("enc_video_latent", vae.encodeVideo(caseFile.tensor("enc_video_in")));
        return out;
    }

    private static void requireConstants(TensorArchive caseFile, String name, float[] expected) {
        if (!caseFile.contains(name)) {
            return;
        }
        float[] stored = caseFile.tensor(name).toFloatArray();
        if (!java.util.Arrays.equals(stored, expected)) {
            throw new IllegalArgumentException(caseFile.source() + ": " + name + " differs from the Wan2.2 constants"
                    + " this engine normalises latents with");
        }
    }
}
