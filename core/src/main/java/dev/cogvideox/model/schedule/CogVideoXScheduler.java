package dev.cogvideox.model.schedule;

import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One contract for the CogVideoX scheduler family. diffusers' pipeline branches on the scheduler class because
 * the DPM step needs the previous step's x_0 and timestep; here that history lives inside the scheduler, so a
 * pipeline's loop is the same for both:
 *
 * <pre>{@code
 * CogVideoXScheduler s = CogVideoXScheduler.fromPretrained(modelDir);
 * s.setTimesteps(50);
 * for (long t : s.timesteps()) {
 *     Tensor v = ...;                                  // transformer output (+ guidance)
 *     latents = s.step(v, t, latents, noise).prevSample();
 * }
 * }</pre>
 *
 * Calling {@link #setTimesteps} starts a new sequence (and clears the DPM history). Instances are not
 * thread-safe.
 */
public sealed interface CogVideoXScheduler permits ScheduledSampler {

    /**
     * The scheduler of a model folder: {@code <dir>/scheduler/scheduler_config.json}, or {@code <dir>} itself when it
     * is the scheduler folder or the config file; {@code _class_name} picks the class.
     */
    static CogVideoXScheduler fromPretrained(Path dir) {
        Path file = Files.isRegularFile(dir) ? dir
                : Files.isRegularFile(dir.resolve("scheduler_config.json")) ? dir.resolve("scheduler_config.json")
                : dir.resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": missing (a CogVideoX model folder has scheduler/scheduler_config.json)");
        }
        return create(CogVideoXSchedulerConfig.read(file));
    }

    /** The class that {@code config.className()} names. */
    static CogVideoXScheduler create(CogVideoXSchedulerConfig config) {
        return switch (config.className()) {
            case CogVideoXSchedulerConfig.DDIM -> new CogVideoXDDIMScheduler(config);
            case CogVideoXSchedulerConfig.DPM -> new CogVideoXDPMScheduler(config);
            default -> throw new IllegalArgumentException("unknown scheduler class " + config.className());
        };
    }

    CogVideoXSchedulerConfig config();

    /** alphas_cumprod (float64, length num_train_timesteps), a copy. */
    double[] alphasCumprod();

    /** alpha_bar used when prev_t < 0: 1.0 with set_alpha_to_one, else alphas_cumprod[0]. */
    double finalAlphaCumprod();

    /**
     * {@code set_timesteps(N)}: 1 <= N <= num_train_timesteps, else {@link IllegalArgumentException}. Note that the
     * trailing spacing can give N + 1 timesteps (semantics.md); loop over {@link #timesteps()}, not over N.
     */
    void setTimesteps(int numInferenceSteps);

    /**
     * A timestep list of the caller's ({@code retrieve_timesteps(timesteps=...)} in diffusers, which the CogVideoX
     * schedulers of diffusers v0.40.0 refuse: their {@code set_timesteps} has no {@code timesteps} argument). Here each
     * step goes from its timestep to the NEXT list entry, and the last one to x_0 ({@code prev_t = -1}): the
     * deterministic few-step sampler TDM distils for (predict x_0 at t_k, re-noise it with the predicted noise to
     * t_{k+1}), which on a uniform list is the same arithmetic as {@code set_timesteps(N)}. The list must be strictly
     * decreasing and within [0, num_train_timesteps) ({@link #checkTimesteps}); N becomes its length.
     */
    void setTimesteps(long[] timesteps);

    /** Why {@code timesteps} is not a valid custom list for {@code numTrainTimesteps}, or null when it is. */
    static String checkTimesteps(long[] timesteps, int numTrainTimesteps) {
        if (timesteps.length == 0) {
            return "the timestep list is empty";
        }
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] < 0 || timesteps[i] >= numTrainTimesteps) {
                return "timestep " + timesteps[i] + " is outside [0, " + numTrainTimesteps + ") (num_train_timesteps)";
            }
            if (i > 0 && timesteps[i] >= timesteps[i - 1]) {
                return "timesteps must be strictly decreasing: " + timesteps[i] + " follows " + timesteps[i - 1];
            }
        }
        return null;
    }

    /** The N of the last {@link #setTimesteps}, or 0 before the first call. */
    int numInferenceSteps();

    /** The timesteps of the last {@link #setTimesteps}, a copy (empty before the first call). */
    long[] timesteps();

    /**
     * One denoising step from {@code sample} at {@code timestep} to {@code timestep - T // N} (to the next entry of a
     * custom list). {@code noise} gives
     * the random draws ({@code randn_tensor} in diffusers): the DPM step draws one or two tensors of the sample's
     * shape per call; the DDIM step draws none.
     */
    StepOutput step(Tensor modelOutput, long timestep, Tensor sample, NoiseSource noise);

    /** {@code add_noise(original_samples, noise, timesteps)}: one timestep per sample along dim 0, or one for all. */
    Tensor addNoise(Tensor originalSamples, Tensor noise, long[] timesteps);

    /** {@code get_velocity(sample, noise, timesteps)}: the v-prediction target, timesteps as in {@link #addNoise}. */
    Tensor getVelocity(Tensor sample, Tensor noise, long[] timesteps);
}
