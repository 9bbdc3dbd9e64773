package chameleon.runtime.io;

/**
 * PIL's {@code Image.resize(size, filter, box)} for 8-bit RGB, ported from Pillow's {@code resample.c} so
 * that the conditioning images match the reference's bit for bit (up to the last ulp of {@code sin}).
 *
 * <p>How PIL resamples, and so how this does:
 * <ul>
 *   <li>Separable: a horizontal pass over just the source rows the vertical pass will read, rounded
 *       to 8 bits, then a vertical pass.</li>
 *   <li>Output pixel {@code i} is centred on source coordinate {@code in0 + (i + 0.5)·scale},
 *       {@code scale = (in1 − in0) / out}. When shrinking, the kernel is stretched by the scale
 *       ({@code support · scale} source pixels each side), which is what antialiases a downscale.</li>
 *   <li>The weights of each output pixel are normalised to sum 1, then fixed to 22 fractional bits;
 *       sums start at ½ and are shifted back and clipped to 0..255.</li>
 *   <li>The box is single precision (PIL's C side takes {@code float box[4]}); {@code in1 − in0} is
 *       a float subtraction before it is widened.</li>
 * </ul>
 */
public final class PilResampler {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PilResampler() {
    }

    /**
     * The source rectangle to resample into the output, in source pixel units (edges, not centres), as
     * {@code ImageOps.fit} computes it: fractional values are meaningful.
     */
    public record Box(float left, float top, float right, float bottom) {
        /** The whole of {@code image}. */
        public static Box of(RgbImage image) {
            return new Box(0, 0, image.width(), image.height());
        }
    }

    /** {@code image.resize((width, height), filter)}. */
    public static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter) {
        return resize(src, width, height, filter, Box.of(src));
    }

    /** {@code image.resize((width, height), filter, box)}. */
    public static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter, Box box) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("output size must be positive, got " + width + "x" + height);
        }
        if (!(box.left() >= 0 && box.top() >= 0 && box.right() <= src.width() && box.bottom() <= src.height()
                && box.left() < box.right() && box.top() < box.bottom())) {
            throw new IllegalArgumentException("box " + box + " is empty or not inside the " + src.width() + "x"
                    + src.height() + " image");
        }
        // Image.resize: same size and the whole image is a copy (ours are immutable: the image itself).
        if (width == src.width() && height == src.height() && box.equals(Box.of(src))) {
            return src;
        }
        // _imaging.c _resize: an integral box of exactly the output size is a crop, not a resample.
        if (box.left() - (int) box.left() == 0 && box.right() - box.left() == width
                && box.top() - (int) box.top() == 0 && box.bottom() - box.top() == height) {
            return src.crop((int) box.left(), (int) box.top(), width, height);
        }
        return resample(src, width, height, filter, box);
    }

    /** ImagingResampleInner: horizontal pass over the rows the vertical pass needs, then vertical. */
    private static RgbImage resample(RgbImage src, int width, int height, ResampleFilter filter, Box box) {
        // As in PIL, "box[2] != xsize" compares the box edge with the output size.
        boolean horizontal = width != src.width() || box.left() != 0 || box.right() != width;
        boolean vertical = height != src.height() || box.top() != 0 || box.bottom() != height;

        Coefficients rows = Coefficients.of(src.height(), box.top(), box.bottom(), height, filter);
        int firstRow = rows.first[0];
        int lastRow = rows.first[height - 1] + rows.count[height - 1];

        byte[] pixels = src.data();
        int w = src.width();
        int h = src.height();
        if (horizontal) {
            Coefficients cols = Coefficients.of(src.width(), box.left(), box.right(), width, filter);
            pixels = horizontalPass(pixels, w, firstRow, lastRow - firstRow, cols);
            w = width;
            h = lastRow - firstRow;
            rows = rows.shiftedBy(-firstRow);
        }
        if (vertical) {
            pixels = verticalPass(pixels, w, rows);
            h = height;
        }
        return horizontal || vertical ? RgbImage.wrap(w, h, pixels) : src;
    }

    /** in [rows of width inW, from row y0][inW][3] → out [rows][cols.out][3]. */
    private static byte[] horizontalPass(byte[] in, int inW, int y0, int rows, Coefficients cols) {
        int outW = cols.first.length;
        byte[] out = new byte[outW * rows * 3];
        int o = 0;
        for (int y = 0; y < rows; y++) {
            int row = (y0 + y) * inW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int k = xx * cols.size;
                int p = row + cols.first[xx] * 3;
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                for (int x = 0; x < cols.count[xx]; x++, p += 3) {
                    int weight = cols.weights[k + x];
                    s0 += (in[p] & 0xff) * weight;
                    s1 += (in[p + 1] & 0xff) * weight;
                    s2 += (in[p + 2] & 0xff) * weight;
                }
                out[o++] = clip8(s0);
                out[o++] = clip8(s1);
                out[o++] = clip8(s2);
            }
        }
        return out;
    }

    /** in [*][w][3] → out [rows.out][w][3]. */
    private static byte[] verticalPass(byte[] in, int w, Coefficients rows) {
        int outH = rows.first.length;
        int stride = w * 3;
        byte[] out = new byte[outH * stride];
        int o = 0;
        for (int yy = 0; yy < outH; yy++) {
            int k = yy * rows.size;
            int top = rows.first[yy] * stride;
            for (int x = 0; x < stride; x += 3) {
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                int p = top + x;
                for (int y = 0; y < rows.count[yy]; y++, p += stride) {
                    int weight = rows.weights[k + y];
                    s0 += (in[p] & 0xff) * weight;
                    s1 += (in[p + 1] & 0xff) * weight;
                    s2 += (in[p + 2] & 0xff) * weight;
                }
                out[o++] = clip8(s0);
                out[o++] = clip8(s1);
                out[o++] = clip8(s2);
            }
        }
        return out;
    }

    private static byte clip8(int sum) {
        return (byte) Math.clamp(sum >> PRECISION_BITS, 0, 255);
    }

    /**
     * precompute_coeffs + normalize_coeffs_8bpc: for each output index, the first source index, how many
     * source samples it reads, and their fixed-point weights ({@code size} slots per output index).
     */
    private record Coefficients(int size, int[] first, int[] count, int[] weights) {
        static Coefficients of(int inSize, float in0, float in1, int outSize, ResampleFilter filter) {
            double scale = (double) (in1 - in0) / outSize; // float subtraction first, as in C
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support() * filterScale;
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[outSize];
            int[] count = new int[outSize];
            int[] weights = new int[outSize * size];
            double[] k = new double[size];
            for (int xx = 0; xx < outSize; xx++) {
                double center = in0 + (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max(0, (int) (center - support + 0.5));
                int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = filter.weight((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    double w = ww != 0.0 ? k[x] / ww : k[x];
                    weights[xx * size + x] = w < 0
                            ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                            : (int) (0.5 + w * (1 << PRECISION_BITS));
                }
                first[xx] = xmin;
                count[xx] = Math.max(0, xmax);
            }
            return new Coefficients(size, first, count, weights);
        }

        /** The same coefficients reading from a buffer whose row 0 is source row {@code -delta}. */
        Coefficients shiftedBy(int delta) {
            int[] moved = first.clone();
            for (int i = 0; i < moved.length; i++) {
                moved[i] += delta;
            }
            return new Coefficients(size, moved, count, weights);
        }
    }
}
