package chameleon.runtime.io;

/**
 * The interpolation kernels of PIL's {@code resample.c} that the reference preprocessing uses, with PIL's
 * supports and formulas, so that {@link PilResampler} reproduces {@code Image.resize} bit for bit.
 */
public enum ResampleFilter {
    /** {@code Image.LANCZOS}: sinc windowed by sinc, a = 3. The reference photo is fitted with it. */
    LANCZOS(3.0) {
        @Override
        public double weight(double x) {
            // PIL: truncated sinc, with the half-open interval [-3, 3)
            return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
        }
    },
    /**
     * {@code Image.BICUBIC}: Keys' cubic convolution with a = −0.5. {@code ImageOps.pad}'s default, and the
     * reference code pads the garment without naming a method, so the garment is resized with this.
     */
    BICUBIC(2.0) {
        @Override
        public double weight(double x) {
            final double a = -0.5;
            x = Math.abs(x);
            if (x < 1.0) {
                return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            }
            if (x < 2.0) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0.0;
        }
    };

    private final double support;

    ResampleFilter(double support) {
        this.support = support;
    }

    /** Half-width of the kernel in source pixels at scale 1 (PIL widens it by the downscale factor). */
    public double support() {
        return support;
    }

    /** The (unnormalised) kernel value at distance {@code x}. */
    public abstract double weight(double x);

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }
}
