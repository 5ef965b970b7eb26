package dev.cogvideox.model.cache;

import dev.cogvideox.model.transformer.StepCache;

import java.util.ArrayList;
import java.util.List;

/** A step cache that reports: the bookkeeping every cache shares: the current step, and which steps and block attentions were computed. */
public abstract class CachingStep implements StepCache {
    private final String setting;
    private final int blocks;
    private final List<Integer> computed = new ArrayList<>();
    private int[] attention = new int[0];
    int step = -1;
    int steps;
    long timestep;

    CachingStep(String setting, int blocks) {
        this.setting = setting;
        this.blocks = blocks;
    }

    @Override
    public void beginStep(int index, long timestep, int steps) {
        this.step = index;
        this.steps = steps;
        this.timestep = timestep;
        if (attention.length < steps) {
            attention = java.util.Arrays.copyOf(attention, steps);
        }
    }

    /** Records that this step's blocks run. */
    void blocksRun() {
        computed.add(step);
    }

    @Override
    public void attentionComputed(int block, dev.cogvideox.tensor.Tensor out) {
        attention[step]++;
    }

    /** Which rescaling polynomial a TeaCache used, for the user; null for a cache without one. */
    String coefficientsUsed() {
        return null;
    }

    /** What a TeaCache measured per step, or null. */
    CacheReport.Trace trace() {
        return null;
    }

    /** What ran so far. */
    public CacheReport report() {
        return new CacheReport(setting, coefficientsUsed(), steps, blocks, List.copyOf(computed), java.util.Arrays.copyOf(attention, steps), trace());
    }
}
