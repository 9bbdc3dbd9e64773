package chameleon.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** conv3d against a naive six-loop reference in double precision. */
class Conv3dTest {
    private final Backend backend = new CpuBackend();

    /** The definition: y[co,t,oh,ow] = b[co] + Σ w[co,ci,dt,dh,dw]·x[ci, t·st+dt, oh·sh+dh−top, ow·sw+dw−left]. */
    static float[] reference(Tensor x, Tensor w, float[] bias, int st, int sh, int sw, int top, int bottom, int left, int right) {
        int cin = x.dim(0), t = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int cout = w.dim(0), kt = w.dim(2), kh = w.dim(3), kw = w.dim(4);
        int to = (t - kt) / st + 1, ho = (h + top + bottom - kh) / sh + 1, wo = (wd + left + right - kw) / sw + 1;
        float[] y = new float[cout * to * ho * wo];
        for (int co = 0; co < cout; co++) {
            for (int ot = 0; ot < to; ot++) {
                for (int oh = 0; oh < ho; oh++) {
                    for (int ow = 0; ow < wo; ow++) {
                        double s = bias == null ? 0 : bias[co];
                        for (int ci = 0; ci < cin; ci++) {
                            for (int dt = 0; dt < kt; dt++) {
                                for (int dh = 0; dh < kh; dh++) {
                                    for (int dw = 0; dw < kw; dw++) {
                                        int it = ot * st + dt, ih = oh * sh + dh - top, iw = ow * sw + dw - left;
                                        if (ih < 0 || ih >= h || iw < 0 || iw >= wd) {
                                            continue;
                                        }
                                        s += (double) w.getFloat(((((long) co * cin + ci) * kt + dt) * kh + dh) * kw + dw)
                                                * x.getFloat((((long) ci * t + it) * h + ih) * wd + iw);
                                    }
                                }
                            }
                        }
                        y[((co * to + ot) * ho + oh) * wo + ow] = (float) s;
                    }
                }
            }
        }
        return y;
    }

    static Tensor random(Random r, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return t;
    }

    private void check(long seed, int cin, int cout, int t, int h, int w, int kt, int kh, int kw,
                       int st, int sh, int sw, int top, int bottom, int left, int right, boolean bias) {
        Random r = new Random(seed);
        Tensor x = random(r, cin, t, h, w);
        Tensor wt = random(r, cout, cin, kt, kh, kw);
        Tensor b = bias ? random(r, cout) : null;
        Tensor y = backend.conv3d(x, wt, b, st, sh, sw, top, bottom, left, right);
        float[] expected = reference(x, wt, bias ? b.array() : null, st, sh, sw, top, bottom, left, right);
        assertEquals((t - kt) / st + 1, y.dim(1));
        assertEquals((h + top + bottom - kh) / sh + 1, y.dim(2));
        assertEquals((w + left + right - kw) / sw + 1, y.dim(3));
        assertArrayEquals(expected, y.array(), 2e-4f * (float) Math.sqrt(cin * kt * kh * kw));
    }

    @Test
    void causal3x3x3SamePadding() {
        check(1, 5, 7, 4, 9, 11, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, true);
    }

    @Test
    void manyChannelsAndPixelsCrossEveryTileBoundary() {
        // Cout 70 > one channel block (64) and not a multiple of 4; K = 33·27 = 891 > 3 reduction slices;
        // 13·19 = 247 pixels over several pixel tiles with a ragged last tile.
        check(2, 33, 70, 3, 13, 19, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, true);
    }

    @Test
    void pointwise() {
        check(3, 6, 9, 2, 5, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
    }

    @Test
    void stride2WithBottomRightPaddingOnly() {
        // The VAE's downsample: ZeroPad2d(0, 1, 0, 1) then a 3×3 stride-2 conv, per frame.
        check(4, 4, 5, 2, 10, 12, 1, 3, 3, 1, 2, 2, 0, 1, 0, 1, true);
        check(5, 3, 4, 1, 7, 9, 1, 3, 3, 1, 2, 2, 0, 1, 0, 1, false);
    }

    @Test
    void temporalStrideAndTemporalOnlyKernel() {
        // The VAE's downsample3d time_conv: kernel (3,1,1), stride (2,1,1), no padding.
        check(6, 4, 4, 5, 3, 4, 3, 1, 1, 2, 1, 1, 0, 0, 0, 0, true);
    }

    @Test
    void asymmetricKernelAndStrides() {
        check(7, 3, 5, 6, 8, 7, 2, 3, 2, 3, 1, 2, 2, 0, 1, 3, true);
    }

    @Test
    void bf16WeightsAreWidened() {
        Random r = new Random(8);
        Tensor x = random(r, 4, 3, 6, 5);
        Tensor w32 = random(r, 6, 4, 3, 3, 3);
        Tensor w16 = w32.convertTo(DType.BF16);
        Tensor y16 = backend.conv3d(x, w16, null, 1, 1, 1, 1, 1, 1, 1);
        Tensor y32 = backend.conv3d(x, w16.convertTo(DType.F32), null, 1, 1, 1, 1, 1, 1, 1);
        assertArrayEquals(y32.array(), y16.array(), 0f);
    }

    @Test
    void rejectsMismatchedChannels() {
        assertThrows(IllegalArgumentException.class,
                () -> backend.conv3d(Tensor.zeros(3, 3, 4, 4), Tensor.zeros(2, 4, 3, 3, 3), null, 1, 1, 1, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> backend.conv3d(Tensor.zeros(3, 2, 4, 4), Tensor.zeros(2, 3, 3, 3, 3), null, 1, 1, 1, 1, 1, 1, 1));
    }
}
