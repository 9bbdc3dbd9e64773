package chameleon.runtime.io;

import chameleon.runtime.Frames;
import org.jcodec.common.model.Picture;

/**
 * RGB → Y'CbCr 4:2:0, BT.601 studio range (Y' 16..235, Cb/Cr 16..240): what an H.264 stream without
 * colour tags is decoded as by players, jcodec's decoder and ffmpeg, and what the reference's
 * ffmpeg/libx264 export writes. (jcodec's own {@code RgbToYuv420j} comes out about 6 levels too dark
 * through any of those decoders, which is why the writer converts by itself.)
 *
 * <p>Chroma is the average of each 2×2 block's full-resolution Cb/Cr. Samples are stored as jcodec
 * does, {@code value − 128} in a signed byte.
 */
final class Bt601Yuv420 {
    private Bt601Yuv420() {
    }

    /** Converts frame {@code i} of {@code frames} into {@code out} (3 planes, same size, even sides). */
    static void convert(Frames frames, int i, Picture out) {
        int w = frames.width();
        int h = frames.height();
        int[] rgb = frames.rgb(i);
        byte[] y = out.getPlaneData(0);
        byte[] cb = out.getPlaneData(1);
        byte[] cr = out.getPlaneData(2);
        for (int p = 0; p < rgb.length; p++) {
            int r = rgb[p] >> 16 & 0xff;
            int g = rgb[p] >> 8 & 0xff;
            int b = rgb[p] & 0xff;
            y[p] = (byte) (Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255) - 128);
        }
        int cw = w / 2;
        for (int by = 0; by < h / 2; by++) {
            for (int bx = 0; bx < cw; bx++) {
                double u = 0;
                double v = 0;
                for (int d = 0; d < 4; d++) {
                    int px = rgb[(2 * by + d / 2) * w + 2 * bx + d % 2];
                    int r = px >> 16 & 0xff;
                    int g = px >> 8 & 0xff;
                    int b = px & 0xff;
                    u += -37.797 * r - 74.203 * g + 112.0 * b;
                    v += 112.0 * r - 93.786 * g - 18.214 * b;
                }
                // 128 + sum / (4 · 255), stored minus 128
                cb[by * cw + bx] = (byte) Math.round(u / 1020);
                cr[by * cw + bx] = (byte) Math.round(v / 1020);
            }
        }
    }
}
