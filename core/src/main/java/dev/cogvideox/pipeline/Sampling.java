package dev.cogvideox.pipeline;

import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.model.cache.CacheSetting;
import dev.cogvideox.model.sparse.SparseSetting;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * How the denoising loop spends its transformer passes: the scheduler's own timesteps ({@code set_timesteps(N)})
 * or a list of the caller's (few-step distilled models, see
 * {@link dev.cogvideox.model.schedule.CogVideoXScheduler#setTimesteps(long[])}), a step cache and sparse attention.
 * {@link #DEFAULT} is the reference pipeline.
 *
 * @param timesteps     a strictly decreasing list of non-negative timesteps, below the scheduler's num_train_timesteps,
 *                      or null for the scheduler's own
 * @param cache         the step cache, {@link CacheSetting#NONE} for none
 * @param cacheReport   told, after the loop, which steps and blocks the cache computed (not called without a cache)
 * @param attention     dense, or Sparse VideoGen's sparse attention ({@link SparseSetting})
 * @param attentionReport told, after the loop, how the sparse attention classified the heads (not called when dense)
 */
public record Sampling(long[] timesteps, CacheSetting cache, Consumer<CacheReport> cacheReport, SparseSetting attention,
                       Consumer<String> attentionReport) {
    public static final Sampling DEFAULT = new Sampling(null, CacheSetting.NONE, r -> { }, SparseSetting.DENSE, r -> { });

    /** Custom timesteps and a cache, dense attention. */
    public Sampling(long[] timesteps, CacheSetting cache, Consumer<CacheReport> cacheReport) {
        this(timesteps, cache, cacheReport, SparseSetting.DENSE, r -> { });
    }

    public Sampling {
        if (cache == null || cacheReport == null || attention == null || attentionReport == null) {
            throw new IllegalArgumentException("cache, attention and their reports must not be null (CacheSetting.NONE, SparseSetting.DENSE, r -> { })");
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
        return new Sampling(list, cache, cacheReport, attention, attentionReport);
    }

    public Sampling withCache(CacheSetting setting, Consumer<CacheReport> report) {
        return new Sampling(timesteps, setting, report, attention, attentionReport);
    }

    public Sampling withAttention(SparseSetting setting, Consumer<String> report) {
        return new Sampling(timesteps, cache, cacheReport, setting, report);
    }
}
