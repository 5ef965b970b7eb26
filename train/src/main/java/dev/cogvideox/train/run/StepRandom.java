package dev.cogvideox.train.run;

import dev.cogvideox.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * The random draws of one step (posterior samples, noise, timesteps), from a generator seeded by the run's seed and
 * the step number alone: a resumed run draws what an uninterrupted one would, with no generator state to save.
 */
final class StepRandom {
    private final SplittableRandom rng;

    StepRandom(long seed, int step) {
        this.rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
    }

    /** A seed for a sub-generator (e.g. the timestep sampler). */
    long nextSeed() {
        return rng.nextLong();
    }

    /** Standard normal draws. */
    Tensor randn(int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rng.nextGaussian();
        }
        return t;
    }
}
