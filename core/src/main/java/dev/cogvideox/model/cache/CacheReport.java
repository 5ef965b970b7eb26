package dev.cogvideox.model.cache;

import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Locale;

/**
 * What a cache computed over one generation: the steps whose transformer blocks ran (the others reused the last
 * residual), and per step how many blocks computed their attention (the others reused an earlier step's).
 *
 * @param setting            the setting as given, e.g. {@code teacache:0.15}
 * @param coefficients       TeaCache: which rescaling polynomial it used ({@link TeaCacheCoefficients#source}); else null
 * @param steps              transformer forwards of the generation
 * @param blocks             transformer blocks per forward
 * @param computedSteps      indices of the steps whose blocks ran
 * @param attentionPerStep   per step, the blocks that computed their attention (0 for a skipped step)
 * @param trace              TeaCache: what it measured per step (what {@code cache calibrate} fits); else null
 */
public record CacheReport(String setting, String coefficients, int steps, int blocks, List<Integer> computedSteps, int[] attentionPerStep,
                          Trace trace) {

    /**
     * Per step of a TeaCache run: the relative L1 change of the time embedding from the previous step (what the cache
     * decides on), and that of the blocks' residual (output minus input, what a skipped step reuses) from the previous
     * step's, NaN where not measured (step 0; a residual whose step or the one before was skipped).
     */
    public record Trace(double[] inputChange, double[] residualChange) {
    }

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
        StringBuilder sb = new StringBuilder("cache " + setting + (coefficients == null ? "" : " (" + coefficients + ")")
                + ": transformer blocks computed at " + computedSteps.size() + " of "
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

    /** One line over several generations' reports (of one setting): the computed steps' range and mean, the reused attention. */
    public static String summarize(List<CacheReport> reports) {
        if (reports.isEmpty()) {
            return "cache: no generation ran";
        }
        CacheReport first = reports.getFirst();
        IntSummaryStatistics computed = reports.stream().mapToInt(r -> r.computedSteps().size()).summaryStatistics();
        IntSummaryStatistics steps = reports.stream().mapToInt(CacheReport::steps).summaryStatistics();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "cache %s%s over %d generations: transformer blocks computed at %s of %s steps (mean %.1f)",
                first.setting(), first.coefficients() == null ? "" : " (" + first.coefficients() + ")", reports.size(),
                range(computed.getMin(), computed.getMax()), range(steps.getMin(), steps.getMax()), computed.getAverage()));
        long reused = reports.stream().mapToLong(CacheReport::attentionReused).sum();
        if (reused > 0) {
            long passes = reports.stream().mapToLong(r -> (long) r.computedSteps().size() * r.blocks()).sum();
            sb.append("; attention reused in ").append(reused).append(" of ").append(passes).append(" block passes");
        }
        return sb.toString();
    }

    private static String range(int min, int max) {
        return min == max ? Integer.toString(min) : min + "-" + max;
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
