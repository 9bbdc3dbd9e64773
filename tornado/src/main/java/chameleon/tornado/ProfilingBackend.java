package chameleon.tornado;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** Wraps a backend and accumulates wall time and call counts per op (plan building and JIT included). */
public final class ProfilingBackend implements Backend, chameleon.layers.vae.ResidentVaeSource {
    private final Backend inner;
    private final Map<String, long[]> stats = new TreeMap<>(); // op → {calls, nanos}

    /** The inner backend's device VAE decoder, if it has one (its time is not profiled per op). */
    @Override
    public chameleon.layers.vae.DeviceVaeDecoder residentDecoder(chameleon.layers.vae.WanVae vae) {
        return inner instanceof chameleon.layers.vae.ResidentVaeSource s ? s.residentDecoder(vae) : null;
    }

    /** The inner backend's device image encoder, if it has one (its time is not profiled per op). */
    @Override
    public chameleon.layers.vae.DeviceVaeEncoder residentEncoder(chameleon.layers.vae.WanVae vae) {
        return inner instanceof chameleon.layers.vae.ResidentVaeSource s ? s.residentEncoder(vae) : null;
    }

    public ProfilingBackend(Backend inner) {
        this.inner = inner;
    }

    private <T> T time(String op, Supplier<T> body) {
        long t0 = System.nanoTime();
        try {
            return body.get();
        } finally {
            long[] s = stats.computeIfAbsent(op, k -> new long[2]);
            s[0]++;
            s[1] += System.nanoTime() - t0;
        }
    }

    private void timeVoid(String op, Runnable body) {
        time(op, () -> {
            body.run();
            return null;
        });
    }

    public void reset() {
        stats.clear();
    }

    /** One line per op: calls, total ms, µs per call. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        for (var e : stats.entrySet()) {
            long[] s = e.getValue();
            sb.append(String.format(Locale.ROOT, "  %-18s %6d calls %10.1f ms %10.1f us/call%n",
                    e.getKey(), s[0], s[1] / 1e6, s[1] / 1e3 / s[0]));
        }
        return sb.toString();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return time("linear", () -> inner.linear(x, w, bias));
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return time("layerNorm", () -> inner.layerNorm(x, weight, bias, eps));
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        return time("rmsNorm", () -> inner.rmsNorm(x, weight, eps));
    }

    @Override
    public void modulate(Tensor x, Tensor shift, Tensor scale) {
        timeVoid("modulate", () -> inner.modulate(x, shift, scale));
    }

    @Override
    public void addGated(Tensor x, Tensor y, Tensor gate) {
        timeVoid("addGated", () -> inner.addGated(x, y, gate));
    }

    @Override
    public void add(Tensor x, Tensor y) {
        timeVoid("add", () -> inner.add(x, y));
    }

    @Override
    public void silu(Tensor x) {
        timeVoid("silu", () -> inner.silu(x));
    }

    @Override
    public void geluTanh(Tensor x) {
        timeVoid("geluTanh", () -> inner.geluTanh(x));
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin) {
        timeVoid("rope", () -> inner.rope(x, cos, sin));
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int from, int to, float scale) {
        return time("attention", () -> inner.attention(q, k, v, from, to, scale));
    }

    @Override
    public void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        timeVoid("copyRows", () -> inner.copyRows(src, srcRow, dst, dstRow, count));
    }

    @Override
    public Tensor conv3d(Tensor x, Tensor w, Tensor bias, int strideT, int strideH, int strideW,
                         int padTop, int padBottom, int padLeft, int padRight) {
        return time("conv3d", () -> inner.conv3d(x, w, bias, strideT, strideH, strideW, padTop, padBottom, padLeft, padRight));
    }

    @Override
    public Tensor channelRmsNorm(Tensor x, Tensor gamma) {
        return time("channelRmsNorm", () -> inner.channelRmsNorm(x, gamma));
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor shift) {
        timeVoid("channelAffine", () -> inner.channelAffine(x, scale, shift));
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        return time("upsample", () -> inner.upsampleNearest2x(x));
    }

    @Override
    public Tensor permute(Tensor x, int... axes) {
        return time("permute", () -> inner.permute(x, axes));
    }

    @Override
    public Tensor concat(int axis, Tensor... parts) {
        return time("concat", () -> inner.concat(axis, parts));
    }

    @Override
    public Tensor slice(Tensor x, int axis, int from, int to) {
        return time("slice", () -> inner.slice(x, axis, from, to));
    }

    @Override
    public Tensor mean(Tensor x, int axis) {
        return time("mean", () -> inner.mean(x, axis));
    }

    @Override
    public void clamp(Tensor x, float lo, float hi) {
        timeVoid("clamp", () -> inner.clamp(x, lo, hi));
    }
}
