package chameleon.tornado;

import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.tornado.plan.MmaConv;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * conv3d at the Wan2.2 VAE's real layer shapes (one later latent frame at 704×1280: decoder ladder 1024 ch at
 * 44×80 → 1024 at 88×160 → 512 at 176×320 → 256 at 352×640, two cached frames in front of the causal 3×3×3
 * convolutions; plus the encoder's stride-2 convolutions), through {@link TornadoBackend#conv3d}: the
 * tensor-core path ({@link MmaConv}) and, where asked, the fp32 {@code ConvKernels} path in the same process.
 * Prints per case: wall ms per call (host copies and transfers included), device kernel ms (TornadoVM
 * profiler, tensor-core path), TFLOP/s of each, and relative errors ‖out − ref‖/‖ref‖: against a double
 * reference on 256 sampled outputs (exact operands), against the fp32 kernel over the whole output where
 * it ran, and against {@link CpuBackend#conv3d} over the whole output for the small cases.
 *
 * <pre>ConvBench [--no-old] [--iters N] [--only NAME,NAME…]</pre> (--only: cases whose name contains one of them)
 * Run with {@code -Dchameleon.tornado.conv.profile=true} for the kernel times.
 */
public final class ConvBench {
    /** A convolution: input [cIn, tIn, h, w], weight [cOut, cIn, kt, kh, kw], strides, padding (top, bottom, left, right). */
    record Case(String name, int cIn, int tIn, int h, int w, int cOut, int kt, int kh, int kw,
                int st, int sh, int sw, int pt, int pb, int pl, int pr, boolean old) {
        int tOut() {
            return (tIn - kt) / st + 1;
        }

        int hOut() {
            return (h + pt + pb - kh) / sh + 1;
        }

        int wOut() {
            return (w + pl + pr - kw) / sw + 1;
        }

        double flops() {
            return 2.0 * cOut * cIn * kt * kh * kw * tOut() * hOut() * wOut();
        }
    }

    static final List<Case> CASES = List.of(
            new Case("up3.res 256->256 3x3x3 (2 cached + 4 frames)", 256, 6, 352, 640, 256, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, true),
            new Case("up3.res0 512->256 3x3x3", 512, 6, 352, 640, 256, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, false),
            new Case("up2.res 512->512 3x3x3", 512, 6, 176, 320, 512, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, true),
            new Case("up1.res 1024->1024 3x3x3 (2 frames)", 1024, 4, 88, 160, 1024, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, true),
            new Case("up0/middle.res 1024 3x3x3 (1 frame)", 1024, 3, 44, 80, 1024, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, true),
            new Case("up1.resample 2d 1024 3x3 (4 frames)", 1024, 4, 176, 320, 1024, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, false),
            new Case("up0.time_conv 1024->2048 3x1x1", 1024, 3, 44, 80, 2048, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, false),
            new Case("conv1 48->1024 3x3x3", 48, 3, 44, 80, 1024, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, false),
            new Case("up3.shortcut 512->256 1x1x1", 512, 4, 352, 640, 256, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false),
            new Case("head 256->12 3x3x3", 256, 6, 352, 640, 12, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, false),
            new Case("enc.downsample2d 160 3x3 s2 pad(0,1,0,1)", 160, 4, 352, 640, 160, 1, 3, 3, 1, 2, 2, 0, 1, 0, 1, true),
            new Case("enc.time_conv 320 3x1x1 st2", 320, 6, 88, 160, 320, 3, 1, 1, 2, 1, 1, 0, 0, 0, 0, false));

    private ConvBench() {
    }

    public static void main(String[] args) {
        List<String> a = Arrays.asList(args);
        boolean old = !a.contains("--no-old");
        int iters = a.contains("--iters") ? Integer.parseInt(a.get(a.indexOf("--iters") + 1)) : 2;
        String only = a.contains("--only") ? a.get(a.indexOf("--only") + 1) : null;
        System.out.println("ConvBench on " + TornadoBackend.deviceDescription());
        StringBuilder table = new StringBuilder();
        for (Case c : CASES) {
            if (only != null && Arrays.stream(only.split(",")).noneMatch(c.name()::contains)) {
                continue;
            }
            table.append(run(c, old && c.old(), iters)).append('\n');
        }
        System.out.println();
        System.out.println("== summary (" + TornadoBackend.deviceDescription() + ")");
        System.out.print(table);
    }

    static String run(Case c, boolean old, int iters) {
        SplittableRandom seeds = new SplittableRandom(c.name().hashCode());
        Tensor x = random(seeds.nextLong(), 1f, c.cIn(), c.tIn(), c.h(), c.w());
        Tensor w = random(seeds.nextLong(), (float) (1 / Math.sqrt((double) c.cIn() * c.kt() * c.kh() * c.kw())),
                c.cOut(), c.cIn(), c.kt(), c.kh(), c.kw());
        Tensor b = random(seeds.nextLong(), 0.1f, c.cOut());
        int positions = c.tOut() * c.hOut() * c.wOut();
        double tflop = c.flops() / 1e12;
        System.out.printf(Locale.ROOT, "== %s: x [%d,%d,%d,%d] w [%d,%d,%d,%d,%d] → [%d,%d,%d,%d], %.3f TFLOP%n", c.name(),
                c.cIn(), c.tIn(), c.h(), c.w(), c.cOut(), c.cIn(), c.kt(), c.kh(), c.kw(), c.cOut(), c.tOut(), c.hOut(), c.wOut(), tflop);
        Tensor yNew;
        double wallNew, kernelNew;
        try (TornadoBackend t = backend(null)) {
            if (!t.convOnTensorCores()) {
                return c.name() + ": SKIPPED (no tensor-core conv on " + TornadoBackend.deviceDescription() + ")";
            }
            long t0 = System.nanoTime();
            yNew = conv(t, c, x, w, b);
            System.out.printf(Locale.ROOT, "  mma first call (plan, JIT, weight tiling) %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            double k0 = t.convKernelSeconds();
            double[] walls = new double[iters];
            for (int i = 0; i < iters; i++) {
                long s = System.nanoTime();
                yNew = conv(t, c, x, w, b);
                walls[i] = (System.nanoTime() - s) / 1e6;
            }
            wallNew = median(walls);
            kernelNew = (t.convKernelSeconds() - k0) * 1e3 / iters;
        }
        float[] xv = x.toFloatArray(), wv = w.toFloatArray(), bv = b.toFloatArray(), yv = yNew.toFloatArray();
        int[] geo = {c.cIn(), c.tIn(), c.h(), c.w(), c.cOut(), c.kt(), c.kh(), c.kw(), c.st(), c.sh(), c.sw(), c.pt(), c.pl(),
                c.tOut(), c.hOut(), c.wOut(), 0};
        int nonFinite = (int) IntStream.range(0, yv.length).parallel().filter(i -> !Float.isFinite(yv[i])).count();
        // sampled exact reference (double, unrounded operands) and fp16-rounded reference
        SplittableRandom pick = new SplittableRandom(7);
        double n1 = 0, n2 = 0, d1 = 0;
        for (int s = 0; s < 256; s++) {
            int co = pick.nextInt(c.cOut()), p = s < 8 ? (s < 4 ? s : positions - 1 - s + 4) : pick.nextInt(positions);
            double exact = MmaConv.reference(xv, wv, bv, geo, co, p, true);
            double half = MmaConv.reference(xv, wv, bv, geo, co, p, false);
            double got = yv[co * positions + p];
            n1 += (got - exact) * (got - exact);
            n2 += (got - half) * (got - half);
            d1 += exact * exact;
        }
        double relExact = Math.sqrt(n1 / d1), relHalf = Math.sqrt(n2 / d1);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "%-44s %7.3f TFLOP | mma: wall %9.2f ms (%6.1f TFLOP/s), kernels %9.2f ms (%6.1f TFLOP/s), rel err %.2e vs exact, %.2e vs fp16 operands, non-finite %d",
                c.name(), tflop, wallNew, tflop / wallNew * 1e3, kernelNew, kernelNew > 0 ? tflop / kernelNew * 1e3 : Double.NaN,
                relExact, relHalf, nonFinite));
        if (old) {
            try (TornadoBackend t = backend("fp32")) {
                conv(t, c, x, w, b); // plan + JIT
                long s = System.nanoTime();
                Tensor yOld = conv(t, c, x, w, b);
                double wallOld = (System.nanoTime() - s) / 1e6;
                line.append(String.format(Locale.ROOT, " | fp32 ConvKernels: wall %9.2f ms (%5.2f TFLOP/s), speed-up %.1fx, mma vs fp32 rel err %.2e",
                        wallOld, tflop / wallOld * 1e3, wallOld / wallNew, rel(yv, yOld.toFloatArray())));
            }
        }
        if (c.flops() <= 0.25e12) {
            long s = System.nanoTime();
            Tensor yCpu = new CpuBackend().conv3d(x, w, b, c.st(), c.sh(), c.sw(), c.pt(), c.pb(), c.pl(), c.pr());
            line.append(String.format(Locale.ROOT, " | CpuBackend %.0f ms, mma vs cpu rel err %.2e",
                    (System.nanoTime() - s) / 1e6, rel(yv, yCpu.toFloatArray())));
        }
        System.out.println("  " + line);
        return line.toString();
    }

    private static Tensor conv(TornadoBackend t, Case c, Tensor x, Tensor w, Tensor b) {
        return t.conv3d(x, w, b, c.st(), c.sh(), c.sw(), c.pt(), c.pb(), c.pl(), c.pr());
    }

    /** A backend whose conv3d mode is {@code conv} (null: the default, tensor cores where the device has MMA). */
    static TornadoBackend backend(String conv) {
        String before = System.getProperty("chameleon.tornado.conv");
        if (conv == null) {
            System.clearProperty("chameleon.tornado.conv");
        } else {
            System.setProperty("chameleon.tornado.conv", conv);
        }
        try {
            return new TornadoBackend();
        } finally {
            if (before == null) {
                System.clearProperty("chameleon.tornado.conv");
            } else {
                System.setProperty("chameleon.tornado.conv", before);
            }
        }
    }

    /** ‖a − b‖ / ‖b‖ over whole arrays (∞ on a length mismatch or non-finite values). */
    static double rel(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double[] sums = IntStream.range(0, 64).parallel().mapToObj(part -> {
            double n = 0, d = 0;
            for (int i = (int) ((long) a.length * part / 64); i < (int) ((long) a.length * (part + 1) / 64); i++) {
                double e = (double) a[i] - b[i];
                n += e * e;
                d += (double) b[i] * b[i];
            }
            return new double[] {n, d};
        }).reduce(new double[2], (p, q) -> new double[] {p[0] + q[0], p[1] + q[1]});
        double r = Math.sqrt(sums[0] / sums[1]);
        return Double.isNaN(r) ? Double.POSITIVE_INFINITY : r;
    }

    /** Deterministic uniform values with standard deviation {@code std}, filled in parallel chunks. */
    static Tensor random(long seed, float std, int... dims) {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        float amp = (float) (std * Math.sqrt(3.0));
        int chunk = 1 << 20;
        IntStream.range(0, (v.length + chunk - 1) / chunk).parallel().forEach(ch -> {
            SplittableRandom r = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * ch);
            for (int i = ch * chunk, end = Math.min(v.length, i + chunk); i < end; i++) {
                v[i] = (float) ((r.nextDouble() * 2 - 1) * amp);
            }
        });
        return Tensor.of(v, dims);
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
