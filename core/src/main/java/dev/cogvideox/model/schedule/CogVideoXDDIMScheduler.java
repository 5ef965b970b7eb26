package dev.cogvideox.model.schedule;

import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.tensor.Tensor;

/**
 * diffusers {@code CogVideoXDDIMScheduler}: deterministic DDIM (eta is ignored by the reference, so no noise is
 * ever drawn), used by CogVideoX-2b.
 */
public final class CogVideoXDDIMScheduler extends ScheduledSampler {
    public CogVideoXDDIMScheduler(CogVideoXSchedulerConfig config) {
        super(config);
    }

    /** DDIM (eta = 0), DDIM paper eqs. 12 and 16; {@code noise} is not used. */
    @Override
    public StepOutput step(Tensor modelOutput, long timestep, Tensor sample, NoiseSource noise) {
        // 1. previous timestep: t - T // N, or a custom list's next entry (semantics.md, Schedulers)
        long prevTimestep = prevTimestep(timestep);
        // 2. alphas: alpha_bar_t and alpha_bar_prev (final_alpha_cumprod when prev_t < 0)
        double alphaProd = schedule.alpha(timestep);
        double alphaProdPrev = schedule.alphaPrev(prevTimestep);
        // 3. predicted x_0
        Tensor predOriginal = schedule.predictOriginalSample(modelOutput, sample, alphaProd);
        // 4. x_prev = a_t * x_t + b_t * x_0, a_t = sqrt((1 - a_prev) / (1 - a)), b_t = sqrt(a_prev) - sqrt(a) * a_t
        double at = Math.sqrt((1 - alphaProdPrev) / (1 - alphaProd));
        double bt = Math.sqrt(alphaProdPrev) - Math.sqrt(alphaProd) * at;
        float atF = (float) at, btF = (float) bt;
        float[] x = sample.data(), x0 = predOriginal.data();
        float[] prev = new float[x.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = atF * x[i] + btF * x0[i];
        }
        return new StepOutput(Tensor.of(prev, sample.shape()), predOriginal);
    }
}
