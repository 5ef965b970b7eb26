package dev.cogvideox.model.schedule;

import dev.cogvideox.tensor.Tensor;

/**
 * What both CogVideoX schedulers share: the noise schedule of their config and the timesteps of the last
 * {@link #setTimesteps}. A subclass adds its {@link #step}; {@link #requireTimesteps} is the check every step
 * starts with.
 */
abstract sealed class ScheduledSampler implements CogVideoXScheduler permits CogVideoXDDIMScheduler, CogVideoXDPMScheduler {
    final NoiseSchedule schedule;
    private int numInferenceSteps;
    private long[] timesteps = new long[0];
    /** Whether {@link #timesteps} is a caller's list (steps go to the next entry) rather than set_timesteps(N)'s. */
    private boolean custom;

    ScheduledSampler(CogVideoXSchedulerConfig config) {
        this.schedule = new NoiseSchedule(config);
    }

    @Override
    public CogVideoXSchedulerConfig config() {
        return schedule.config();
    }

    @Override
    public double[] alphasCumprod() {
        return schedule.alphasCumprod();
    }

    @Override
    public double finalAlphaCumprod() {
        return schedule.finalAlphaCumprod();
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        this.timesteps = schedule.timesteps(numInferenceSteps);
        this.numInferenceSteps = numInferenceSteps;
        this.custom = false;
    }

    @Override
    public void setTimesteps(long[] timesteps) {
        String wrong = CogVideoXScheduler.checkTimesteps(timesteps, config().numTrainTimesteps());
        if (wrong != null) {
            throw new IllegalArgumentException(wrong);
        }
        this.timesteps = timesteps.clone();
        this.numInferenceSteps = timesteps.length;
        this.custom = true;
    }

    /**
     * The step's target timestep: {@code t - T // N} after {@code set_timesteps(N)} (semantics.md), the next list
     * entry of a custom list, -1 (x_0) after its last one.
     */
    long prevTimestep(long timestep) {
        int n = requireTimesteps();
        if (!custom) {
            return schedule.prevTimestep(timestep, n);
        }
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                return i + 1 < timesteps.length ? timesteps[i + 1] : -1;
            }
        }
        throw new IllegalArgumentException("timestep " + timestep + " is not in the custom list " + java.util.Arrays.toString(timesteps));
    }

    @Override
    public int numInferenceSteps() {
        return numInferenceSteps;
    }

    @Override
    public long[] timesteps() {
        return timesteps.clone();
    }

    /** Throws unless {@link #setTimesteps} has been called; returns N. */
    int requireTimesteps() {
        if (numInferenceSteps == 0) {
            throw new IllegalStateException("step() before setTimesteps(): the number of inference steps is not set");
        }
        return numInferenceSteps;
    }

    @Override
    public Tensor addNoise(Tensor originalSamples, Tensor noise, long[] timesteps) {
        return schedule.addNoise(originalSamples, noise, timesteps);
    }

    @Override
    public Tensor getVelocity(Tensor sample, Tensor noise, long[] timesteps) {
        return schedule.getVelocity(sample, noise, timesteps);
    }
}
