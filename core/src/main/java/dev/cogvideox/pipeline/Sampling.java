package dev.cogvideox.pipeline;

import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.model.cache.CacheSetting;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * How the denoising loop spends its transformer passes: the scheduler's own timesteps ({@code set_timesteps(N)})
 * or a list of the caller's (few-step distilled models, see
 * {@link dev.cogvideox.model.schedule.CogVideoXScheduler#setTimesteps(long[])}), and a step cache.
 * {@link #DEFAULT} is the reference pipeline.
 *
 * @param timesteps     a strictly decreasing list of non-negative timesteps, below the scheduler's num_train_timesteps,
 *                      or null for the scheduler's own
 * @param cache         the step cache, {@link CacheSetting#NONE} for none
 * @param cacheReport   told, after the loop, which steps and blocks the cache computed (not called without a cache)
 */
public record Sampling(long[] timesteps, CacheSetting cache, Consumer<CacheReport> cacheReport) {
    public static final Sampling DEFAULT = new Sampling(null, CacheSetting.NONE, r -> { });

    public Sampling {
        if (cache == null || cacheReport == null) {
            throw new IllegalArgumentException("cache and cacheReport must not be null (CacheSetting.NONE, r -> { })");
        }
        if (timesteps != null) {
            // the upper bound is the scheduler's num_train_timesteps, checked when the list is set on it
            String wrong = Arrays.stream(timesteps).anyMatch(t -> t < 0) ? "timesteps cannot be negative"
                    : dev.cogvideox.model.schedule.CogVideoXScheduler.checkTimesteps(timesteps, Integer.MAX_VALUE);
            if (wrong != null) {
                throw new IllegalArgumentException("timesteps " + Arrays.toString(timesteps) + ": " + wrong);
            }
            timesteps = timesteps.clone();
        }
    }

    @Override
    public long[] timesteps() {
        return timesteps == null ? null : timesteps.clone();
    }

    public Sampling withTimesteps(long[] list) {
        return new Sampling(list, cache, cacheReport);
    }

    public Sampling withCache(CacheSetting setting, Consumer<CacheReport> report) {
        return new Sampling(timesteps, setting, report);
    }
}
