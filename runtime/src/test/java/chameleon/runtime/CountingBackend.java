package chameleon.runtime;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import java.util.Map;
import java.util.TreeMap;

/** The CPU backend, counting its {@code linear} calls by the row count of their input. */
final class CountingBackend implements Backend {
    private final CpuBackend cpu = new CpuBackend();
    private final Map<Integer, Integer> linearsByRows = new TreeMap<>();

    /** Linear calls so far whose input had {@code rows} rows. */
    synchronized int linears(int rows) {
        return linearsByRows.getOrDefault(rows, 0);
    }

    /** All linear calls so far. */
    synchronized int linears() {
        return linearsByRows.values().stream().mapToInt(Integer::intValue).sum();
    }

    synchronized void reset() {
        linearsByRows.clear();
    }

    @Override
    public String name() {
        return "counting-cpu";
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        synchronized (this) {
            linearsByRows.merge(x.dim(0), 1, Integer::sum);
        }
        return cpu.linear(x, w, bias);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return cpu.layerNorm(x, weight, bias, eps);
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        return cpu.rmsNorm(x, weight, eps);
    }

    @Override
    public void modulate(Tensor x, Tensor shift, Tensor scale) {
        cpu.modulate(x, shift, scale);
    }

    @Override
    public void addGated(Tensor x, Tensor y, Tensor gate) {
        cpu.addGated(x, y, gate);
    }

    @Override
    public void add(Tensor x, Tensor y) {
        cpu.add(x, y);
    }

    @Override
    public void silu(Tensor x) {
        cpu.silu(x);
    }

    @Override
    public void geluTanh(Tensor x) {
        cpu.geluTanh(x);
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin) {
        cpu.rope(x, cos, sin);
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int from, int to, float scale) {
        return cpu.attention(q, k, v, from, to, scale);
    }

    @Override
    public void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        cpu.copyRows(src, srcRow, dst, dstRow, count);
    }

    @Override
    public Tensor conv3d(Tensor x, Tensor w, Tensor bias, int strideT, int strideH, int strideW, int padTop,
                         int padBottom, int padLeft, int padRight) {
        return cpu.conv3d(x, w, bias, strideT, strideH, strideW, padTop, padBottom, padLeft, padRight);
    }

    @Override
    public Tensor channelRmsNorm(Tensor x, Tensor gamma) {
        return cpu.channelRmsNorm(x, gamma);
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor shift) {
        cpu.channelAffine(x, scale, shift);
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return cpu.upsampleNearest2x(x);
    }

    @Override
    public Tensor permute(Tensor x, int... axes) {
        return cpu.permute(x, axes);
    }

    @Override
    public Tensor concat(int axis, Tensor... parts) {
        return cpu.concat(axis, parts);
    }

    @Override
    public Tensor slice(Tensor x, int axis, int from, int to) {
        return cpu.slice(x, axis, from, to);
    }

    @Override
    public Tensor mean(Tensor x, int axis) {
        return cpu.mean(x, axis);
    }

    @Override
    public void clamp(Tensor x, float lo, float hi) {
        cpu.clamp(x, lo, hi);
    }
}
