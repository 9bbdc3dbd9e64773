package chameleon.tornado;

import chameleon.tensor.Backend;
import chameleon.tensor.DType;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.tornado.plan.LinearPlan;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Each DiT op of {@link TornadoBackend} against {@link CpuBackend} on seeded random inputs (the
 * unit tests' checks, as a main-code diagnostic for machines without a test runner): prints the max
 * relative error per op and whether it is within tolerance; an op that throws is reported and the
 * others still run.
 */
public final class OpCheck {
    private final CpuBackend cpu = new CpuBackend();
    private final PrintStream out;
    private final Random random = new Random(42);
    private boolean allPass = true;

    private OpCheck(PrintStream out) {
        this.out = out;
    }

    /** Runs every check; true if all pass. */
    public static boolean run(PrintStream out) {
        OpCheck c = new OpCheck(out);
        out.println("== op checks against CpuBackend on " + TornadoBackend.deviceDescription());
        for (LinearPlan.Gemm gemm : LinearPlan.Gemm.values()) {
            try (TornadoBackend t = new TornadoBackend(gemm, false)) {
                c.linearChecks(t, gemm.toString());
            }
        }
        try (TornadoBackend t = new TornadoBackend(LinearPlan.Gemm.PARALLEL, false)) {
            c.rowChecks(t);
        }
        return c.allPass;
    }

    private Tensor rnd(float scale, int... dims) {
        Tensor t = Tensor.zeros(dims);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (random.nextGaussian() * scale);
        }
        return t;
    }

    private void check(String what, double tol, Supplier<Tensor[]> pair) {
        double worst;
        String error = null;
        try {
            Tensor[] p = pair.get();
            float[] e = p[0].toFloatArray(), a = p[1].toFloatArray();
            worst = e.length == a.length ? 0 : Double.POSITIVE_INFINITY;
            for (int i = 0; i < Math.min(e.length, a.length); i++) {
                double d = Math.abs((double) e[i] - a[i]) / Math.max(1.0, Math.abs(e[i]));
                if (!(d <= worst)) {
                    worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                }
            }
        } catch (RuntimeException ex) {
            worst = Double.POSITIVE_INFINITY;
            error = ex.toString().lines().findFirst().orElse("");
        }
        boolean pass = worst <= tol;
        allPass &= pass;
        out.printf(Locale.ROOT, "  %-34s %-4s max rel err %.2e (tol %.0e)%s%n", what, pass ? "ok" : "FAIL", worst, tol,
                error == null ? "" : "  " + error);
    }

    private void linearChecks(Backend t, String gemm) {
        Tensor w = rnd(0.1f, 67, 96), b = rnd(1f, 67), x = rnd(1f, 23, 96);
        check("linear f32 [" + gemm + "]", 1e-5, () -> new Tensor[] {cpu.linear(x, w, b), t.linear(x, w, b)});
        Tensor x2 = rnd(1f, 7, 96);
        check("linear f32 fewer rows [" + gemm + "]", 1e-5, () -> new Tensor[] {cpu.linear(x2, w, b), t.linear(x2, w, b)});
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            Tensor wd = w.convertTo(dt);
            check("linear " + dt + " [" + gemm + "]", 1e-5, () -> new Tensor[] {cpu.linear(x, wd, null), t.linear(x, wd, null)});
        }
    }

    private void rowChecks(Backend t) {
        Tensor x = rnd(2f, 13, 160), w = rnd(1f, 160), b = rnd(1f, 160);
        check("layerNorm", 1e-5, () -> new Tensor[] {cpu.layerNorm(x, null, null, 1e-6f), t.layerNorm(x, null, null, 1e-6f)});
        check("layerNorm affine", 1e-5, () -> new Tensor[] {cpu.layerNorm(x, w, b, 1e-6f), t.layerNorm(x, w, b, 1e-6f)});
        check("rmsNorm", 1e-5, () -> new Tensor[] {cpu.rmsNorm(x, w, 1e-6f), t.rmsNorm(x, w, 1e-6f)});
        Tensor y = rnd(1f, 12, 40), sh = rnd(1f, 3, 40), sc = rnd(1f, 3, 40), g = rnd(1f, 3, 40), z = rnd(1f, 12, 40);
        check("modulate", 1e-6, () -> inPlace(y, a -> cpu.modulate(a, sh, sc), a -> t.modulate(a, sh, sc)));
        check("addGated", 1e-6, () -> inPlace(y, a -> cpu.addGated(a, z, g), a -> t.addGated(a, z, g)));
        check("add", 1e-7, () -> inPlace(y, a -> cpu.add(a, z), a -> t.add(a, z)));
        check("silu", 1e-6, () -> inPlace(x, cpu::silu, t::silu));
        check("geluTanh", 1e-5, () -> inPlace(x, cpu::geluTanh, t::geluTanh));
        int l = 9, h = 2, d = 128;
        Tensor r = rnd(1f, l, h, d), cos = rnd(1f, l, d / 2), sin = rnd(1f, l, d / 2);
        check("rope", 1e-6, () -> inPlace(r, a -> cpu.rope(a, cos, sin), a -> t.rope(a, cos, sin)));
        Tensor q = rnd(1f, 11, h, d), k = rnd(1f, 50, h, d), v = rnd(1f, 50, h, d);
        float scale = (float) (1 / Math.sqrt(d));
        check("attention [5, 44)", 1e-5, () -> new Tensor[] {cpu.attention(q, k, v, 5, 44, scale), t.attention(q, k, v, 5, 44, scale)});
        Tensor kv = rnd(1f, 30, h, d);
        check("copyRows (overlapping)", 0, () -> inPlace(kv, a -> cpu.copyRows(a, 9, a, 4, 20), a -> t.copyRows(a, 9, a, 4, 20)));
    }

    private static Tensor[] inPlace(Tensor x, java.util.function.Consumer<Tensor> ref, java.util.function.Consumer<Tensor> dev) {
        Tensor a = x.copy(), b = x.copy();
        ref.accept(a);
        dev.accept(b);
        return new Tensor[] {a, b};
    }
}
