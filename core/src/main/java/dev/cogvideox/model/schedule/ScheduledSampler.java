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
