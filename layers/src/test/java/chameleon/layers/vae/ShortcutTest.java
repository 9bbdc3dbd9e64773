package chameleon.layers.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import chameleon.tensor.Backend;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** DupUp3D and AvgDown3D against their index formulas. */
class ShortcutTest {
    private final Backend b = new CpuBackend();

    @Test
    void dupUpCopiesRepeatedChannelsIntoTimeAndSpaceBlocks() {
        for (int[] cfg : new int[][] {{8, 8, 2, 2}, {8, 4, 1, 2}, {4, 8, 2, 2}}) {
            int in = cfg[0], out = cfg[1], ft = cfg[2], fs = cfg[3], f = ft * fs * fs, rep = out * f / in;
            int t = 2, h = 3, w = 2;
            Tensor x = RandomVae.gaussian(new Random(in + out), 1f, in, t, h, w);
            Tensor y = new DupUp3D(in, out, ft, fs).forward(b, x, false);
            assertEquals(Shape.of(out, t * ft, h * fs, w * fs), y.shape());
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < t * ft; i++) {
                    for (int j = 0; j < h * fs; j++) {
                        for (int k = 0; k < w * fs; k++) {
                            int sub = (i % ft) * fs * fs + (j % fs) * fs + k % fs;
                            int src = (o * f + sub) / rep;
                            assertEquals(x.array()[((src * t + i / ft) * h + j / fs) * w + k / fs],
                                    y.array()[((o * t * ft + i) * h * fs + j) * w * fs + k]);
                        }
                    }
                }
            }
            Tensor first = new DupUp3D(in, out, ft, fs).forward(b, x, true);
            assertEquals(t * ft - ft + 1, first.dim(1));
            assertEquals(b.slice(y, 1, ft - 1, t * ft).array()[5], first.array()[5]);
        }
    }

    @Test
    void avgDownAveragesGroupsOfBlockChannelsAfterPaddingTimeInFront() {
        for (int[] cfg : new int[][] {{4, 8, 2, 2, 3}, {4, 4, 1, 2, 1}, {8, 8, 2, 2, 4}}) {
            int in = cfg[0], out = cfg[1], ft = cfg[2], fs = cfg[3], t = cfg[4];
            int f = ft * fs * fs, group = in * f / out, h = 4, w = 6;
            Tensor x = RandomVae.gaussian(new Random(t), 1f, in, t, h, w);
            Tensor y = new AvgDown3D(in, out, ft, fs).forward(b, x);
            int pad = (ft - t % ft) % ft, to = (t + pad) / ft;
            assertEquals(Shape.of(out, to, h / fs, w / fs), y.shape());
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < to; i++) {
                    for (int j = 0; j < h / fs; j++) {
                        for (int k = 0; k < w / fs; k++) {
                            double sum = 0;
                            for (int g = 0; g < group; g++) {
                                int kk = o * group + g, c = kk / f, sub = kk % f;
                                int ti = i * ft + sub / (fs * fs) - pad, hi = j * fs + (sub / fs) % fs, wi = k * fs + sub % fs;
                                sum += ti < 0 ? 0 : x.array()[((c * t + ti) * h + hi) * w + wi];
                            }
                            assertEquals(sum / group, y.array()[((o * to + i) * (h / fs) + j) * (w / fs) + k], 1e-6);
                        }
                    }
                }
            }
        }
    }
}
