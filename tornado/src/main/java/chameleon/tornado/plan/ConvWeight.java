package chameleon.tornado.plan;

import chameleon.tensor.Tensor;

/**
 * One convolution's weight as read from the checkpoint, its implicit-GEMM padding and its place in the stacked
 * device arrays ({@link StackedParameters}): K = kt·kh·kw·cinPad (Cin padded to the GEMM's k-step), N = Cout padded
 * to the GEMM's column block.
 */
final class ConvWeight {
    final String name;     // checkpoint tensor name, e.g. "decoder.conv1.weight" (errors and task names)
    private Tensor weight; // [Cout, Cin, kt, kh, kw] until stacked
    final Tensor bias;     // [Cout]
    final int cin, cout, kt, kh, kw, cinPad, kPad, nPad;
    int wOff, bOff;        // offsets in the stacked weights (ints of tiles, or floats) and biases

    /**
     * @param name   the tensor's checkpoint name
     * @param weight [Cout, Cin, kt, kh, kw], Cin even (the tensor-core gather reads channel pairs)
     * @param bias   [Cout]
     */
    ConvWeight(String name, Tensor weight, Tensor bias, int kStep, int nBlock) {
        if (weight.shape().rank() != 5 || weight.dim(1) % 2 != 0) {
            throw new IllegalArgumentException(name + ": expected [Cout, Cin (even), kt, kh, kw], got " + weight.shape());
        }
        if (bias.shape().rank() != 1 || bias.dim(0) != weight.dim(0)) {
            throw new IllegalArgumentException(name + ": bias " + bias.shape() + " for " + weight.dim(0) + " output channels");
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.cout = weight.dim(0);
        this.cin = weight.dim(1);
        this.kt = weight.dim(2);
        this.kh = weight.dim(3);
        this.kw = weight.dim(4);
        this.cinPad = MmaLinear.roundUp(cin, kStep);
        this.kPad = kt * kh * kw * cinPad;
        this.nPad = MmaLinear.roundUp(cout, nBlock);
    }

    /** Row length of the convolution's raw output (Cout padded to the GEMM block). */
    int ldy() {
        return nPad;
    }

    /**
     * [Cout, kPad] with k = ((dt·kh + dy)·kw + dx)·cinPad + ci, zero for ci ≥ Cin (the order
     * {@code CausalConvKernels} walks K in); afterwards the host weight is dropped.
     */
    float[] takeTapMajor() {
        float[] src = weight.toFloatArray();
        float[] dst = new float[Math.multiplyExact(cout, kPad)];
        int taps = kt * kh * kw;
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                for (int tap = 0; tap < taps; tap++) {
                    dst[co * kPad + tap * cinPad + ci] = src[(co * cin + ci) * taps + tap];
                }
            }
        }
        weight = null; // the host copy is no longer needed
        return dst;
    }
}
