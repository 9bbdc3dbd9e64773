package chameleon.tornado;

import chameleon.tornado.plan.OpPlans;
import java.util.Random;

/**
 * Times each attention kernel ({@link OpPlans.AttentionKernel}) at one shape on the default device.
 * A plan run uploads q, k, v and downloads out every time, so each kernel is also run over a 32-key
 * range: {@code kernel ≈ full − tiny} (transfers cancel). Every kernel's output is compared with the
 * first listed kernel's (max |diff| printed).
 *
 * <pre>AttnBench [lq cap heads d iters kernels]</pre> defaults 2640 20240 24 128 3 tiled:64,tiled:128,private
 * ({@code tiled:N}: N query rows per work group; add naive to time it too: ~2.6 s per run on an H100).
 */
public final class AttnBench {
    private AttnBench() {
    }

    public static void main(String[] args) {
        int lq = args.length > 0 ? Integer.parseInt(args[0]) : 2640;
        int cap = args.length > 1 ? Integer.parseInt(args[1]) : 20240;
        int heads = args.length > 2 ? Integer.parseInt(args[2]) : 24;
        int d = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int iters = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        String kinds = args.length > 5 ? args[5] : "tiled:64,tiled:128,private";
        System.out.println("AttnBench lq " + lq + " cap " + cap + " heads " + heads + " d " + d + " on "
                + TornadoBackend.deviceDescription());
        Random r = new Random(1);
        float[] q = new float[lq * heads * d], k = new float[cap * heads * d], v = new float[cap * heads * d];
        for (float[] a : new float[][] {q, k, v}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
        }
        float scale = (float) (1 / Math.sqrt(d));
        float[] ref = null;
        String refName = null;
        for (String kind : kinds.split(",")) {
            String[] parts = kind.trim().toUpperCase(java.util.Locale.ROOT).split(":");
            OpPlans.AttentionKernel kernel = OpPlans.AttentionKernel.valueOf(parts[0]);
            int bq = parts.length > 1 ? Integer.parseInt(parts[1]) : chameleon.tornado.kernels.AttentionKernels.BQ;
            OpPlans.Attention p = OpPlans.Attention.create(lq, cap, heads, d, kernel, bq);
            for (int i = 0; i < q.length; i++) {
                p.q().set(i, q[i]);
            }
            for (int i = 0; i < k.length; i++) {
                p.k().set(i, k[i]);
                p.v().set(i, v[i]);
            }
            p.scale().set(0, scale);
            double[] full = new double[iters], tiny = new double[iters];
            long t0 = System.nanoTime();
            p.range().set(0, 0);
            p.range().set(1, cap);
            p.plan().run();
            double first = (System.nanoTime() - t0) / 1e6;
            for (int it = 0; it < iters; it++) {
                p.range().set(0, 0);
                p.range().set(1, cap);
                long a = System.nanoTime();
                p.plan().run();
                full[it] = (System.nanoTime() - a) / 1e6;
                p.range().set(0, 0);
                p.range().set(1, 32);
                a = System.nanoTime();
                p.plan().run();
                tiny[it] = (System.nanoTime() - a) / 1e6;
            }
            p.range().set(0, 0);
            p.range().set(1, cap);
            p.plan().run();
            float[] out = new float[lq * heads * d];
            for (int i = 0; i < out.length; i++) {
                out[i] = p.out().get(i);
            }
            p.plan().close();
            java.util.Arrays.sort(full);
            java.util.Arrays.sort(tiny);
            double mf = full[iters / 2], mt = tiny[iters / 2];
            double flops = 4.0 * lq * cap * heads * d;
            String diff = "";
            if (ref == null) {
                ref = out;
                refName = kind.trim();
            } else {
                double worst = 0;
                for (int i = 0; i < out.length; i++) {
                    worst = Math.max(worst, Math.abs(out[i] - ref[i]));
                }
                diff = String.format(" max|diff| vs %s %.3e", refName, worst);
            }
            System.out.printf("RESULT %-10s first %.1f ms, run full %.2f ms, run 32 keys %.2f ms, kernel ≈ %.2f ms (%.2f TFLOP/s)%s%n",
                    kind.trim(), first, mf, mt, mf - mt, flops / ((mf - mt) * 1e-3) / 1e12, diff);
        }
        System.exit(0);
    }
}
