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

    /** The N of the last {@link #setTimesteps}, or 0 before the first call. */
    int numInferenceSteps();

    /** The timesteps of the last {@link #setTimesteps}, a copy (empty before the first call). */
    long[] timesteps();

    /**
     * One denoising step from {@code sample} at {@code timestep} to {@code timestep - T // N}. {@code noise} gives
     * the random draws ({@code randn_tensor} in diffusers): the DPM step draws one or two tensors of the sample's
     * shape per call; the DDIM step draws none.
     */
    StepOutput step(Tensor modelOutput, long timestep, Tensor sample, NoiseSource noise);

    /** {@code add_noise(original_samples, noise, timesteps)}: one timestep per sample along dim 0, or one for all. */
    Tensor addNoise(Tensor originalSamples, Tensor noise, long[] timesteps);

    /** {@code get_velocity(sample, noise, timesteps)}: the v-prediction target, timesteps as in {@link #addNoise}. */
    Tensor getVelocity(Tensor sample, Tensor noise, long[] timesteps);
}
