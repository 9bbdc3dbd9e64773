package chameleon.runtime.io;

import chameleon.tensor.Tensor;

/**
 * A reference photo or garment photo prepared exactly as the reference code prepares it for the VAE
 * encoder (MODEL.md §1.2, {@code predictor/stream_infer_ic.py}):
 * <ul>
 *   <li>reference (the person): {@code ImageOps.fit(img, (W, H), LANCZOS, centering=(0.5, 0.5))};</li>
 *   <li>garment: {@code ImageOps.pad(img, (W, H), color=white, centering=(0.5, 0.5))}. The reference
 *       passes no method, so PIL's default {@link ResampleFilter#BICUBIC BICUBIC} is what it uses; the
 *       filter can be chosen for experiments.</li>
 * </ul>
 * then {@link #toTensor()} applies {@code to_tensor(img).sub_(0.5).div_(0.5)}.
 *
 * @param image the prepared image, exactly {@code size}
 */
public record ConditioningImage(RgbImage image) {
    /** @throws IllegalArgumentException unless both sides are multiples of 16 */
    public ConditioningImage {
        new FrameSize(image.width(), image.height());
    }

    /** The person photo, fitted (scaled to cover, centre-cropped) with Lanczos. */
    public static ConditioningImage reference(RgbImage photo, FrameSize size) {
        return reference(photo, size, ResampleFilter.LANCZOS);
    }

    public static ConditioningImage reference(RgbImage photo, FrameSize size, ResampleFilter filter) {
        return new ConditioningImage(new ImageFit(size.width(), size.height(), filter).apply(photo));
    }

    /** The garment photo, padded (scaled to fit inside, centred on white) with bicubic, as the reference. */
    public static ConditioningImage garment(RgbImage photo, FrameSize size) {
        return garment(photo, size, ResampleFilter.BICUBIC);
    }

    public static ConditioningImage garment(RgbImage photo, FrameSize size, ResampleFilter filter) {
        return new ConditioningImage(new ImagePad(size.width(), size.height(), filter, ImagePad.WHITE).apply(photo));
    }

    /** The size of the prepared image. */
    public FrameSize size() {
        return new FrameSize(image.width(), image.height());
    }

    /**
     * The VAE input: F32 {@code [3, 1, H, W]}, channel-first, each sample {@code (v / 255 − 0.5) / 0.5} in
     * single precision as torch computes it, so 0 → −1 and 255 → 1.
     */
    public Tensor toTensor() {
        int w = image.width();
        int h = image.height();
        int plane = w * h;
        float[] out = new float[3 * plane];
        byte[] rgb = image.data();
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                out[c * plane + p] = ((rgb[p * 3 + c] & 0xff) / 255f - 0.5f) / 0.5f;
            }
        }
        return Tensor.of(out, 3, 1, h, w);
    }
}
