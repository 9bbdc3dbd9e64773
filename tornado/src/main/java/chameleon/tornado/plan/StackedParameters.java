package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Every parameter of a VAE graph in a few device arrays, uploaded once: the convolution weights (fp16 tensor-core
 * tiles in {@link MmaLinear}'s layout, or fp32 [Cout, kPad] rows), their biases and the RMS_norm gammas, each at
 * its offset. Few arrays keep the graphs' argument lists short (a TaskGraph's task list is a fixed 8 KiB buffer).
 */
final class StackedParameters {
    /** The convolutions' GEMM block ({@code CausalConvKernels.convMma}): k-step 32, 128 × 128 output tiles. */
    static final MmaLinear.Block BLOCK = MmaLinear.Block.M128N128K32W64X32;

    private final boolean mma;
    private final List<ConvWeight> convs = new ArrayList<>();
    private final List<float[]> gammaList = new ArrayList<>();
    private int gammaFloats;
    private IntArray tiles;     // MMA: stacked B tiles of every convolution
    private FloatArray f32;     // fp32: stacked [Cout, kPad] weights
    private FloatArray biases;  // stacked conv biases, each padded to its nPad
    private FloatArray gammas;  // stacked RMS_norm gammas
    private final FloatArray placeholder = new FloatArray(1);
    private double maxConversionError;

    /** @param mma weights as fp16 tensor-core tiles ({@code convMma}) rather than fp32 rows ({@code convF32}) */
    StackedParameters(boolean mma) {
        this.mma = mma;
    }

    boolean mma() {
        return mma;
    }

    /** Registers a convolution weight [Cout, Cin, kt, kh, kw] and bias [Cout] under its tensor name. */
    ConvWeight conv(String name, Tensor weight, Tensor bias) {
        ConvWeight cw = new ConvWeight(name, weight, bias, BLOCK.bk, BLOCK.bn);
        convs.add(cw);
        return cw;
    }

    /** Registers an RMS_norm gamma; returns its offset in {@link #gammas()}. */
    int gamma(float[] g) {
        int at = gammaFloats;
        gammaList.add(g);
        gammaFloats += g.length;
        return at;
    }

    /** Makes the device arrays and fills them; the host copies of the weights are dropped. */
    void stack() {
        long tileInts = 0, floats = 0;
        int biasFloats = 0;
        for (ConvWeight c : convs) {
            c.wOff = Math.toIntExact(mma ? tileInts : floats);
            c.bOff = biasFloats;
            tileInts += (long) c.nPad / 2 * c.kPad;
            floats += (long) c.cout * c.kPad;
            biasFloats += c.nPad;
        }
        biases = new FloatArray(Math.max(1, biasFloats));
        biases.init(0f);
        if (mma) {
            tiles = new IntArray(Math.toIntExact(Math.max(1, tileInts)));
            tiles.init(0);
        } else {
            f32 = new FloatArray(Math.toIntExact(Math.max(1, floats)));
        }
        for (ConvWeight c : convs) {
            float[] reordered = c.takeTapMajor();
            if (mma) {
                maxConversionError = Math.max(maxConversionError, MmaLinear.putTiles(Tensor.of(reordered, c.cout, c.kPad),
                        c.cout, c.kPad, c.kPad, BLOCK, tiles, c.wOff));
            } else {
                for (int i = 0; i < reordered.length; i++) {
                    f32.set(c.wOff + i, reordered[i]);
                }
            }
            float[] bv = c.bias.toFloatArray();
            for (int i = 0; i < c.cout; i++) {
                biases.set(c.bOff + i, bv[i]);
            }
        }
        gammas = new FloatArray(Math.max(1, gammaFloats));
        int o = 0;
        for (float[] g : gammaList) {
            for (float v : g) {
                gammas.set(o++, v);
            }
        }
        gammaList.clear();
    }

    /** MMA: the stacked B tiles (ints of fp16 pairs). */
    IntArray tiles() {
        return tiles;
    }

    /** fp32: the stacked [Cout, kPad] weights. */
    FloatArray f32() {
        return f32;
    }

    FloatArray biases() {
        return biases;
    }

    FloatArray gammas() {
        return gammas;
    }

    /** One float standing for an absent array argument (an uncached convolution's cache). */
    FloatArray placeholder() {
        return placeholder;
    }

    /** The arrays {@link #stack} made, for the graph's shared uploads. */
    List<Object> deviceArrays() {
        return List.of(biases, gammas, placeholder, mma ? tiles : f32);
    }

    /** Largest |fp16(w) − w| of the convolution weights (0 in fp32 mode). */
    double maxConversionError() {
        return maxConversionError;
    }
}
