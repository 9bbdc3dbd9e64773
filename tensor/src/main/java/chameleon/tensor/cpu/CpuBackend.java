package chameleon.tensor.cpu;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The reference backend: plain Java with the Vector API, parallel over the cores, fp32 everywhere.
 * Activations are heap F32 tensors; weights are read in their checkpoint dtype and widened on the fly.
 */
public final class CpuBackend implements Backend {

    @Override
    public String name() {
        return "cpu";
    }

    /** The name and the threads the parallel kernels run on ({@code -Dchameleon.cpu.threads}). */
    @Override
    public String description() {
        return "cpu (Java Vector API, " + CpuParallel.threads() + " threads)";
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return Gemm.linear(x, w, bias);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return RowKernels.layerNorm(x, weight, bias, eps);
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        return RowKernels.rmsNorm(x, weight, eps);
    }

    @Override
    public void modulate(Tensor x, Tensor shift, Tensor scale) {
        RowKernels.modulate(x, shift, scale);
    }

    @Override
    public void addGated(Tensor x, Tensor y, Tensor gate) {
        RowKernels.addGated(x, y, gate);
    }

    @Override
    public void add(Tensor x, Tensor y) {
        RowKernels.add(x, y);
    }

    @Override
    public void silu(Tensor x) {
        RowKernels.silu(x);
    }

    @Override
    public void geluTanh(Tensor x) {
        RowKernels.geluTanh(x);
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin) {
        RowKernels.rope(x, cos, sin);
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int from, int to, float scale) {
        return FlashAttention.attend(q, k, v, from, to, scale);
    }

    @Override
    public void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        if (src.dtype() != dst.dtype() || src.shape().rowSize() != dst.shape().rowSize()) {
            throw new IllegalArgumentException("copyRows: " + src + " and " + dst + " rows differ");
        }
        if (srcRow < 0 || dstRow < 0 || count < 0 || srcRow + count > src.dim(0) || dstRow + count > dst.dim(0)) {
            throw new IndexOutOfBoundsException("copyRows: " + count + " rows from " + srcRow + " of " + src.shape()
                    + " to " + dstRow + " of " + dst.shape());
        }
        long rowBytes = src.shape().rowSize() * src.dtype().byteSize();
        // MemorySegment.copy handles overlap like memmove.
        MemorySegment.copy(src.segment(), srcRow * rowBytes, dst.segment(), dstRow * rowBytes, count * rowBytes);
    }

    @Override
    public Tensor conv3d(Tensor x, Tensor w, Tensor bias, int strideT, int strideH, int strideW,
                         int padTop, int padBottom, int padLeft, int padRight) {
        return Conv3d.conv3d(x, w, bias, strideT, strideH, strideW, padTop, padBottom, padLeft, padRight);
    }

    @Override
    public Tensor channelRmsNorm(Tensor x, Tensor gamma) {
        return ChannelKernels.channelRmsNorm(x, gamma);
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor shift) {
        ChannelKernels.channelAffine(x, scale, shift);
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return TensorCopy.upsampleNearest2x(x);
    }

    @Override
    public Tensor permute(Tensor x, int... axes) {
        return TensorCopy.permute(x, axes);
    }

    @Override
    public Tensor concat(int axis, Tensor... parts) {
        return TensorCopy.concat(axis, parts);
    }

    @Override
    public Tensor slice(Tensor x, int axis, int from, int to) {
        return TensorCopy.slice(x, axis, from, to);
    }

    @Override
    public Tensor mean(Tensor x, int axis) {
        return Reductions.mean(x, axis);
    }

    @Override
    public void clamp(Tensor x, float lo, float hi) {
        RowKernels.clamp(x, lo, hi);
    }
}
