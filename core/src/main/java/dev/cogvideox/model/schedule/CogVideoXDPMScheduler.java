package dev.cogvideox.model.schedule;

import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.tensor.Tensor;

/**
 * diffusers {@code CogVideoXDPMScheduler}: stochastic DPM-Solver++(2M) in log-SNR time, used by CogVideoX-5b and
 * 1.5. The previous step's x_0 and timestep ({@code old_pred_original_sample}, {@code timestep_back} in diffusers)
 * are kept here between calls and cleared by {@link #setTimesteps}.
 *
 * <p>The arithmetic relies on IEEE infinities exactly as the reference does (semantics.md, Schedulers): at
 * t = 999 alpha_bar = 0, so lambda = -inf and h = +inf: that step predicts x_0 and re-noises it to the next
 * level; the following step has r = inf, so its second-order multipliers are 1 and 0; a step whose prev_t < 0
 * has alpha_prev = 1, lambda_next = +inf, and returns x_0 (multipliers 0 and -1, no noise).
 */
public final class CogVideoXDPMScheduler extends ScheduledSampler {
    /** x_0 and timestep of the previous step of this sequence; null before the first step. */
    private Tensor previousOriginalSample;
    private long previousTimestep;

    public CogVideoXDPMScheduler(CogVideoXSchedulerConfig config) {
        super(config);
    }

    /**
     * The float64 scalars of one step ({@code get_variables} / {@code get_mult}); {@code r}, {@code mult3} and
     * {@code mult4} are NaN on a first-order step (no previous x_0).
     */
    record Coefficients(double lamb, double lambNext, double h, double r, double mult1, double mult2, double mult3,
                        double mult4, double multNoise) {
    }

    /** {@code lambda = log(sqrt(a / (1 - a)))}, the half log-SNR; -inf at a = 0, +inf at a = 1. */
    private static double lambda(double alphaProd) {
        return StrictMath.log(Math.sqrt(alphaProd / (1 - alphaProd)));
    }

    /**
     * {@code get_variables} and {@code get_mult} for alpha_bar at t, prev_t and (NaN when absent) the previous step's
     * timestep (StrictMath: reproducible on every platform): h = lambda_next - lambda, r = h_last / h, mult1 = sqrt((1 - a_prev) / (1 - a)) e^-h,
     * mult2 = expm1(-2h) sqrt(a_prev), mult3 = 1 + 1 / 2r, mult4 = 1 / 2r,
     * mult_noise = sqrt(1 - a_prev) sqrt(1 - e^-2h).
     */
    static Coefficients coefficients(double alphaProd, double alphaProdPrev, double alphaProdBack) {
        double lamb = lambda(alphaProd);
        double lambNext = lambda(alphaProdPrev);
        double h = lambNext - lamb;
        double r = Double.NaN, mult3 = Double.NaN, mult4 = Double.NaN;
        if (!Double.isNaN(alphaProdBack)) {
            double hLast = lamb - lambda(alphaProdBack);
            r = hLast / h;
            mult3 = 1 + 1 / (2 * r);
            mult4 = 1 / (2 * r);
        }
        double mult1 = Math.sqrt((1 - alphaProdPrev) / (1 - alphaProd)) * StrictMath.exp(-h);
        double mult2 = StrictMath.expm1(-2 * h) * Math.sqrt(alphaProdPrev);
        double multNoise = Math.sqrt(1 - alphaProdPrev) * Math.sqrt(1 - StrictMath.exp(-2 * h));
        return new Coefficients(lamb, lambNext, h, r, mult1, mult2, mult3, mult4, multNoise);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        super.setTimesteps(numInferenceSteps);
        this.previousOriginalSample = null;
    }

    @Override
    public void setTimesteps(long[] timesteps) {
        super.setTimesteps(timesteps);
        this.previousOriginalSample = null;
    }

    /**
     * One DPM-Solver++(2M) step with noise. Draws {@code noise.randn(shape)} once; on a second-order step (a
     * previous x_0 exists and prev_t >= 0) draws a second time and only that second draw is used, as the
     * reference does.
     */
    @Override
    public StepOutput step(Tensor modelOutput, long timestep, Tensor sample, NoiseSource noise) {
        // 1. previous timestep: t - T // N, or a custom list's next entry (semantics.md); timestep_back = the previous call's timestep
        long prevTimestep = prevTimestep(timestep);
        boolean hasPrevious = previousOriginalSample != null;
        // 2. alphas
        double alphaProd = schedule.alpha(timestep);
        double alphaProdPrev = schedule.alphaPrev(prevTimestep);
        double alphaProdBack = hasPrevious ? schedule.alpha(previousTimestep) : Double.NaN;
        // 3. predicted x_0
        Tensor predOriginal = schedule.predictOriginalSample(modelOutput, sample, alphaProd);
        // 4. log-SNR step sizes and multipliers (float64), each rounded to float32 where it meets a tensor
        Coefficients c = coefficients(alphaProd, alphaProdPrev, alphaProdBack);
        float m1 = (float) c.mult1(), m2 = (float) c.mult2(), mn = (float) c.multNoise();
        int[] shape = sample.shape();
        float[] x = sample.data(), x0 = predOriginal.data();
        // 5. first order: x_prev = mult1 x - mult2 x_0 + mult_noise z (the draw happens on every step)
        float[] z = noise.randn(shape).data();
        float[] prev = new float[x.length];
        if (!hasPrevious || prevTimestep < 0) {
            for (int i = 0; i < prev.length; i++) {
                prev[i] = m1 * x[i] - m2 * x0[i] + mn * z[i];
            }
        } else {
            // 6. second order: D = mult3 x_0 - mult4 x_0_prev; x_prev = mult1 x - mult2 D + mult_noise z2 (a fresh draw)
            float m3 = (float) c.mult3(), m4 = (float) c.mult4();
            float[] old = previousOriginalSample.data();
            float[] z2 = noise.randn(shape).data();
            for (int i = 0; i < prev.length; i++) {
                float denoised = m3 * x0[i] - m4 * old[i];
                prev[i] = m1 * x[i] - m2 * denoised + mn * z2[i];
            }
        }
        previousOriginalSample = predOriginal.copy();
        previousTimestep = timestep;
        return new StepOutput(Tensor.of(prev, shape), predOriginal);
    }
}
