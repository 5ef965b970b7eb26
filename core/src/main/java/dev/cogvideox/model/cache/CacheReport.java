package dev.cogvideox.model.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * What a cache computed over one generation: the steps whose transformer blocks ran (the others reused the last
 * residual), and per step how many blocks computed their attention (the others reused an earlier step's).
 *
 * @param setting            the setting as given, e.g. {@code teacache:0.15}
 * @param steps              transformer forwards of the generation
 * @param blocks             transformer blocks per forward
 * @param computedSteps      indices of the steps whose blocks ran
 * @param attentionPerStep   per step, the blocks that computed their attention (0 for a skipped step)
 */
public record CacheReport(String setting, int steps, int blocks, List<Integer> computedSteps, int[] attentionPerStep) {

    /** Block attentions reused instead of computed, over the steps whose blocks ran. */
    public long attentionReused() {
        long reused = 0;
        for (int s : computedSteps) {
            reused += blocks - attentionPerStep[s];
        }
        return reused;
    }

    /** The steps whose blocks did not run. */
    public List<Integer> skippedSteps() {
        List<Integer> skipped = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            if (!computedSteps.contains(i)) {
                skipped.add(i);
            }
        }
        return skipped;
    }

    /** One paragraph for the user: what ran and what was reused. */
    public String describe() {
        StringBuilder sb = new StringBuilder("cache " + setting + ": transformer blocks computed at " + computedSteps.size() + " of "
                + steps + " steps (" + ranges(computedSteps) + ")");
        List<Integer> skipped = skippedSteps();
        if (!skipped.isEmpty()) {
            sb.append("; skipped, cached residual added, at ").append(ranges(skipped));
        }
        long reused = attentionReused();
        if (reused > 0) {
            List<Integer> partial = new ArrayList<>();
            for (int s : computedSteps) {
                if (attentionPerStep[s] < blocks) {
                    partial.add(s);
                }
            }
            sb.append("; attention reused in ").append(reused).append(" of ").append((long) computedSteps.size() * blocks)
                    .append(" block passes, at steps ").append(ranges(partial));
        }
        return sb.toString();
    }

    /** Step indices as ranges: {@code 0-3, 7, 9-12}. */
    static String ranges(List<Integer> steps) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < steps.size(); ) {
            int j = i;
            while (j + 1 < steps.size() && steps.get(j + 1) == steps.get(j) + 1) {
                j++;
            }
            sb.append(sb.isEmpty() ? "" : ", ").append(steps.get(i)).append(j > i ? "-" + steps.get(j) : "");
            i = j + 1;
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
