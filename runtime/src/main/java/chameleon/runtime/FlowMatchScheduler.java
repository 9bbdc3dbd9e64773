package chameleon.runtime;

import chameleon.tensor.DType;
import chameleon.tensor.Tensor;

/**
 * The flow-matching schedule of the 4-step student (MODEL.md §2.7): {@code FlowMatchScheduler(shift,
 * sigma_min=0, extra_one_step=True)} with 1000 training steps, warped denoising steps, x0 conversion and
 * re-noising, all with the reference's float32/float64 rounding.
 */
public final class FlowMatchScheduler {
    private final float[] sigmas;     // [trainSteps] σ_table, float32 as torch computes it
    private final float[] timesteps;  // [trainSteps] t_table = 1000·σ

    public FlowMatchScheduler(int trainSteps, float shift) {
        if (trainSteps <= 0 || !(shift > 0)) {
            throw new IllegalArgumentException("scheduler needs positive steps and shift, got " + trainSteps + ", " + shift);
        }
        float[] u = linspace(1f, 0f, trainSteps + 1); // extra_one_step: drop the final 0
        sigmas = new float[trainSteps];
        timesteps = new float[trainSteps];
        for (int i = 0; i < trainSteps; i++) {
            sigmas[i] = shift * u[i] / (1f + (shift - 1f) * u[i]);
            timesteps[i] = sigmas[i] * trainSteps;
        }
    }

    /** The FashionChameleon student's schedule: shift 5, 1000 steps. */
    public static FlowMatchScheduler student() {
        return new FlowMatchScheduler(1000, 5f);
    }

    /** torch.linspace for float32: start + i·step in the first half, end − (n−1−i)·step in the second. */
    private static float[] linspace(float start, float end, int n) {
        float[] out = new float[n];
        float step = (end - start) / (n - 1);
        int half = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
        }
        return out;
    }

    /** {@code warp_denoising_step}: nominal steps [1000, 750, 500, 250] → t_table[1000 − nominal]. */
    public float[] warp(int[] nominal) {
        float[] t = new float[nominal.length];
        for (int i = 0; i < nominal.length; i++) {
            int index = timesteps.length - nominal[i];
            if (index < 0 || index >= timesteps.length) {
                throw new IllegalArgumentException("denoising step " + nominal[i] + " outside 1.." + timesteps.length);
            }
            t[i] = timesteps[index];
        }
        return t;
    }

    /** σ of the table entry whose t is closest to {@code t} (t = 0 → the clean end, σ = 0). */
    public float sigma(float t) {
        if (t == 0f) {
            return 0f;
        }
        int best = 0;
        for (int i = 1; i < timesteps.length; i++) {
            if (Math.abs(timesteps[i] - t) < Math.abs(timesteps[best] - t)) {
                best = i;
            }
        }
        return sigmas[best];
    }

    /**
     * The timestep the network sees: the bf16 pipeline casts the per-token timestep to the latent dtype
     * before {@code .long()}, so 937.5 becomes 936 (MODEL.md §1.5). Reproduced on purpose.
     */
    public static long networkTimestep(float t) {
        return (long) DType.bf16ToFloat(DType.floatToBf16(t));
    }

    /** x0 = x − σ·v, in float64 then rounded (WanDiffusionWrapper._convert_flow_pred_to_x0). */
    public static Tensor toX0(Tensor x, Tensor v, float sigma) {
        float[] xa = x.toFloatArray(), va = v.toFloatArray();
        float[] out = new float[xa.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((double) xa[i] - (double) sigma * (double) va[i]);
        }
        return Tensor.of(out, x.shape().dims());
    }

    /** x = (1 − σ)·x0 + σ·ε in float32 (FlowMatchScheduler.add_noise). */
    public static Tensor addNoise(Tensor x0, Tensor noise, float sigma) {
        float[] xa = x0.toFloatArray(), na = noise.toFloatArray();
        if (xa.length != na.length) {
            throw new IllegalArgumentException("noise " + noise.shape() + " does not match latents " + x0.shape());
        }
        float keep = 1f - sigma;
        float[] out = new float[xa.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = keep * xa[i] + sigma * na[i];
        }
        return Tensor.of(out, x0.shape().dims());
    }
}
