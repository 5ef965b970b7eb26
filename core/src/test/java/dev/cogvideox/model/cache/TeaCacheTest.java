package dev.cogvideox.model.cache;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TeaCacheTest {
    private static final CogVideoXTransformerConfig CFG_2B = CogVideoXTransformerConfig.read(
            GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/transformer/config.json"));

    /** The published CogVideoX-2b polynomial, written out: -31.0658903 x^4 + 25.4732368 x^3 - 5.92380459 x^2 + 1.75769064 x - 0.00361568434. */
    private static double poly2b(double x) {
        return -31.0658903 * Math.pow(x, 4) + 25.4732368 * Math.pow(x, 3) - 5.92380459 * x * x + 1.75769064 * x - 0.00361568434;
    }

    @Test
    void theRescalingIsThePublishedPolynomial() {
        for (double x : new double[]{0, 0.01, 0.05, 0.2, 0.5}) {
            assertThat(TeaCacheCoefficients.published("2b").rescale(x)).isCloseTo(poly2b(x), within(1e-12));
        }
        assertThat(TeaCacheCoefficients.published("5b-i2v").polynomial()).containsExactly(TeaCacheCoefficients.published("5b").polynomial());
        assertThat(TeaCache.relativeL1(new float[]{2, -4}, new float[]{1, -2})).isEqualTo(1.0);     // (1 + 2) / (1 + 2)
    }

    /**
     * Six steps whose time embedding grows by 5% a step (relative L1 change 0.05 each): the accumulator gains
     * poly(0.05) = 0.07245 a step, so at threshold 0.15 step 1 (0.0724) and 2 (0.1449) are skipped, step 3 (0.2173) runs
     * and restarts it, step 4 is skipped, and the last step always runs. A skipped step gets the last residual.
     */
    @Test
    void skipsWhileTheAccumulatedChangeStaysUnderTheThreshold() {
        assertThat(poly2b(0.05)).isBetween(0.0724, 0.0725);
        List<float[]> outputs = new ArrayList<>();
        TeaCache cache = new TeaCache("teacache:0.15", 0.15, CFG_2B);
        List<Integer> ran = drive(cache, 6, 0.05, outputs);
        assertThat(ran).containsExactly(0, 3, 5);
        CacheReport r = cache.report();
        assertThat(r.computedSteps()).containsExactly(0, 3, 5);
        assertThat(r.skippedSteps()).containsExactly(1, 2, 4);
        assertThat(r.describe()).contains("computed at 3 of 6 steps (0, 3, 5)", "skipped, cached residual added, at 1-2, 4");
        // the fake blocks add 10 * (step + 1); a skipped step adds the residual of the last step that ran
        assertThat(outputs.get(1)[0]).isEqualTo(1f + 10f);
        assertThat(outputs.get(2)[0]).isEqualTo(2f + 10f);
        assertThat(outputs.get(3)[0]).isEqualTo(3f + 40f);
        assertThat(outputs.get(4)[0]).isEqualTo(4f + 40f);
    }

    @Test
    void thresholdZeroRunsEveryStepAndAHighOneOnlyTheFirstAndLast() {
        assertThat(drive(new TeaCache("teacache:0", 0, CFG_2B), 6, 0.0, new ArrayList<>())).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(drive(new TeaCache("teacache:1", 1.0, CFG_2B), 6, 0.01, new ArrayList<>())).containsExactly(0, 5);
        assertThatThrownBy(() -> new TeaCache("x", 1.5, CFG_2B)).hasMessageContaining("threshold must be in [0, 1.0]");
        assertThatThrownBy(() -> new TeaCache("x", Double.NaN, CFG_2B)).hasMessageContaining("threshold must be in [0, 1.0]");
    }

    /**
     * The trace a calibration fits: the embedding's change per step (5% growth: 0.05) and the residual's (the fake
     * blocks add 10 (step + 1), so from step s-1 to s it changes by 10 / 10s = 1/s), measured only between two
     * computed steps; the report names the polynomial.
     */
    @Test
    void theTraceHoldsTheMeasuredChanges() {
        TeaCache every = new TeaCache("teacache:0", 0, CFG_2B);
        drive(every, 5, 0.05, new ArrayList<>());
        CacheReport.Trace t = every.report().trace();
        assertThat(t.inputChange()[0]).isNaN();
        for (int s = 1; s < 5; s++) {
            assertThat(t.inputChange()[s]).isCloseTo(0.05, within(1e-6));
            assertThat(t.residualChange()[s]).isCloseTo(1.0 / s, within(1e-6));
        }
        assertThat(t.residualChange()[0]).isNaN();
        TeaCache skipping = new TeaCache("teacache:0.15", 0.15, CFG_2B);
        drive(skipping, 6, 0.05, new ArrayList<>());                     // computes 0, 3, 5
        assertThat(java.util.Arrays.stream(skipping.report().trace().residualChange()).allMatch(Double::isNaN)).isTrue();
        assertThat(skipping.report().describe()).startsWith("cache teacache:0.15 (the published CogVideoX-2b polynomial): ");
    }

    /** Runs {@code steps} forwards with a stream of value {@code step} and fake blocks adding {@code 10 (step + 1)}. */
    private static List<Integer> drive(TeaCache cache, int steps, double growth, List<float[]> outputs) {
        List<Integer> ran = new ArrayList<>();
        float[] emb = {0.5f, -1f, 2f, 0.25f};
        for (int step = 0; step < steps; step++) {
            cache.beginStep(step, 999 - step, steps);
            float scale = (float) Math.pow(1 + growth, step);
            float[] e = emb.clone();
            for (int i = 0; i < e.length; i++) {
                e[i] *= scale;
            }
            Tensor stream = Tensor.of(new float[]{step, step, step}, 1, 3, 1);
            if (cache.runBlocks(Tensor.of(e, 1, 4), stream)) {
                ran.add(step);
                for (int i = 0; i < 3; i++) {
                    stream.data()[i] += 10f * (step + 1);
                }
                cache.blocksDone(stream);
            }
            outputs.add(stream.data().clone());
        }
        return ran;
    }
}
