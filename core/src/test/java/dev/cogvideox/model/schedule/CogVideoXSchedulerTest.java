package dev.cogvideox.model.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.io.ModelFormatException;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CogVideoXSchedulerTest {
    private static final Path FIXTURES = GoldenSuite.defaultFixtureRoot();

    private static CogVideoXSchedulerConfig config(String cls, CogVideoXSchedulerConfig.TimestepSpacing spacing, double snrShift) {
        return new CogVideoXSchedulerConfig(cls, 1000, 0.00085, 0.012, "scaled_linear",
                CogVideoXSchedulerConfig.PredictionType.V_PREDICTION, spacing, 1, true, true, snrShift);
    }

    private static CogVideoXScheduler trailing(String cls) {
        return CogVideoXScheduler.create(config(cls, CogVideoXSchedulerConfig.TimestepSpacing.TRAILING, 1.0));
    }

    private static long[] timesteps(CogVideoXScheduler s, int n) {
        s.setTimesteps(n);
        return s.timesteps();
    }

    /** Counts draws and returns constant noise. */
    private static final class CountingNoise implements NoiseSource {
        int draws;

        @Override
        public Tensor randn(int... shape) {
            draws++;
            Tensor t = Tensor.zeros(shape);
            java.util.Arrays.fill(t.data(), 0.5f);
            return t;
        }
    }

    @Test
    void trailingTimestepsMatchNumpy() {
        CogVideoXScheduler s = trailing(CogVideoXSchedulerConfig.DDIM);
        assertThat(timesteps(s, 1)).containsExactly(999);
        assertThat(timesteps(s, 3)).containsExactly(999, 666, 332);
        long[] t50 = timesteps(s, 50);
        assertThat(t50).hasSize(50).startsWith(999, 979, 959).endsWith(59, 39, 19);
        // 1000/16 = 62.5: 937.5 rounds half to even to 938, then - 1
        assertThat(timesteps(s, 16)).startsWith(999, 937, 874, 811, 749, 687);
    }

    @Test
    void trailingHasNPlusOneEntriesForSomeN() {
        // numpy's float arange: ceil(1000 / (1000 / 61)) = 62 entries, the last one round(-1e-13) - 1 = -1
        long[] t61 = timesteps(trailing(CogVideoXSchedulerConfig.DDIM), 61);
        assertThat(t61).hasSize(62).startsWith(999, 983, 966, 950).endsWith(32, 15, -1);
        // Every N from 1 to 1000 against numpy 2.4: which N give N + 1 entries, and sum_N sum_i (i + 1) * t_i.
        List<Integer> plusOne = new ArrayList<>();
        long checksum = 0;
        CogVideoXScheduler s = trailing(CogVideoXSchedulerConfig.DDIM);
        for (int n = 1; n <= 1000; n++) {
            long[] t = timesteps(s, n);
            if (t.length != n) {
                plusOne.add(n);
            }
            for (int i = 0; i < t.length; i++) {
                checksum += (i + 1) * t[i];
            }
        }
        assertThat(plusOne).startsWith(61, 103, 121, 122, 201).hasSize(62).endsWith(994, 995, 998);
        assertThat(checksum).isEqualTo(55722060571L);
    }

    @Test
    void leadingAndLinspaceSpacingsMatchNumpy() {
        CogVideoXScheduler leading = CogVideoXScheduler.create(config(CogVideoXSchedulerConfig.DDIM, CogVideoXSchedulerConfig.TimestepSpacing.LEADING, 1.0));
        assertThat(timesteps(leading, 7)).containsExactly(853, 711, 569, 427, 285, 143, 1);
        CogVideoXScheduler linspace = CogVideoXScheduler.create(config(CogVideoXSchedulerConfig.DDIM, CogVideoXSchedulerConfig.TimestepSpacing.LINSPACE, 1.0));
        assertThat(timesteps(linspace, 3)).containsExactly(999, 500, 0);
        assertThat(timesteps(linspace, 7)).containsExactly(999, 832, 666, 500, 333, 166, 0);
        assertThat(timesteps(linspace, 1)).containsExactly(0);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 1001})
    void badStepCountsAreRejected(int n) {
        CogVideoXScheduler s = trailing(CogVideoXSchedulerConfig.DPM);
        assertThatThrownBy(() -> s.setTimesteps(n)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("num_inference_steps").hasMessageContaining(Integer.toString(n));
    }

    @Test
    void stepBeforeSetTimestepsIsAnError() {
        Tensor x = Tensor.zeros(1, 2);
        assertThatThrownBy(() -> trailing(CogVideoXSchedulerConfig.DDIM).step(x, 999, x, null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("setTimesteps");
    }

    @Test
    void alphasCumprodAreTheReferenceFloat64ValuesExactly() {
        for (String name : List.of("scheduler_ddim_2b_schedule", "scheduler_dpm_5b_schedule")) {
            try (GoldenCase c = GoldenCase.open(FIXTURES.resolve("golden/" + name + ".json"))) {
                double[] ac = CogVideoXScheduler.fromPretrained(c.modelDir()).alphasCumprod();
                JsonNode expected = c.read("alphas_cumprod_f64").whole();
                assertThat(ac).hasSize(expected.size());
                for (int i = 0; i < ac.length; i++) {
                    assertThat(ac[i]).as("%s alphas_cumprod[%d]", name, i).isEqualTo(expected.get(i).asDouble());
                }
                assertThat(ac[999]).isZero();
            }
        }
    }

    @Test
    void dpmScalarsFollowTheInfinities() {
        try (GoldenCase c = GoldenCase.open(FIXTURES.resolve("golden/scheduler_dpm_5b_steps.json"))) {
            for (JsonNode step : c.read("steps").whole()) {
                JsonNode back = step.path("alpha_prod_t_back");
                CogVideoXDPMScheduler.Coefficients k = CogVideoXDPMScheduler.coefficients(step.path("alpha_prod_t").asDouble(),
                        step.path("alpha_prod_t_prev").asDouble(), back.isNull() ? Double.NaN : back.asDouble());
                assertThat(k.h()).isCloseTo(json(step.path("h")), within(json(step.path("h"))));
                double[] got = {k.mult1(), k.mult2(), k.mult3(), k.mult4()};
                JsonNode mult = step.path("mult");
                for (int m = 0; m < mult.size(); m++) {
                    double want = json(mult.get(m));
                    assertThat(got[m]).as("step %d mult%d", step.path("i").asInt(), m + 1).isCloseTo(want, within(want));
                }
            }
        }
        // t = 999 (alpha 0): h = inf, predict x_0 and re-noise to alpha_prev
        CogVideoXDPMScheduler.Coefficients first = CogVideoXDPMScheduler.coefficients(0.0, 0.25, Double.NaN);
        assertThat(first.h()).isInfinite();
        assertThat(first.mult1()).isZero();
        assertThat(first.mult2()).isEqualTo(-0.5);
        assertThat(first.multNoise()).isEqualTo(Math.sqrt(0.75));
        // the step after it: r = inf, so D = 1 * x_0 - 0 * x_0_prev
        CogVideoXDPMScheduler.Coefficients second = CogVideoXDPMScheduler.coefficients(0.25, 0.5, 0.0);
        assertThat(second.r()).isInfinite();
        assertThat(second.mult3()).isEqualTo(1.0);
        assertThat(second.mult4()).isZero();
        // prev_t < 0 (alpha_prev 1): multipliers 0 and -1, no noise: the result is x_0
        CogVideoXDPMScheduler.Coefficients last = CogVideoXDPMScheduler.coefficients(0.6, 1.0, 0.3);
        assertThat(last.mult1()).isZero();
        assertThat(last.mult2()).isEqualTo(-1.0);
        assertThat(last.multNoise()).isZero();
    }

    private static double json(JsonNode n) {
        return n.isTextual() ? Double.parseDouble(n.asText().replace("inf", "Infinity")) : n.asDouble();
    }

    private static org.assertj.core.data.Offset<Double> within(double expected) {
        return org.assertj.core.data.Offset.offset(Double.isInfinite(expected) ? 0 : 4 * Math.ulp(expected));
    }

    @Test
    void dpmDrawsOncePerStepAndTwiceOnSecondOrderSteps() {
        CogVideoXScheduler s = trailing(CogVideoXSchedulerConfig.DPM);
        s.setTimesteps(4);
        CountingNoise noise = new CountingNoise();
        Tensor x = Tensor.zeros(2, 16);
        Tensor v = Tensor.zeros(2, 16);
        java.util.Arrays.fill(v.data(), 0.25f);
        List<Integer> perStep = new ArrayList<>();
        StepOutput out = null;
        for (long t : s.timesteps()) {
            int before = noise.draws;
            out = s.step(v, t, x, noise);
            perStep.add(noise.draws - before);
            x = out.prevSample();
        }
        assertThat(perStep).containsExactly(1, 2, 2, 1);
        // the last step (prev_t < 0) returns x_0
        assertThat(out.prevSample().data()).isEqualTo(out.predOriginalSample().data());
        // setTimesteps clears the history: the next first step is first order again
        s.setTimesteps(4);
        int before = noise.draws;
        s.step(v, 999, x, noise);
        assertThat(noise.draws - before).isEqualTo(1);
    }

    @Test
    void singleStepReturnsTheX0OfTheZeroSnrTimestep() {
        // N = 1: t = 999 (alpha 0), prev_t = -1: v-prediction gives x_0 = -v, and both schedulers return it.
        Tensor x = Tensor.of(new float[]{0.3f, -1.2f, 2f}, 3);
        Tensor v = Tensor.of(new float[]{1.5f, 0.25f, -0.75f}, 3);
        for (String cls : List.of(CogVideoXSchedulerConfig.DDIM, CogVideoXSchedulerConfig.DPM)) {
            CogVideoXScheduler s = trailing(cls);
            s.setTimesteps(1);
            StepOutput out = s.step(v, 999, x, new CountingNoise());
            assertThat(out.prevSample().data()).as(cls).containsExactly(-1.5f, -0.25f, 0.75f);
        }
    }

    @Test
    void theNPlusOneLoopRunsThroughTimestepMinusOne() {
        for (String cls : List.of(CogVideoXSchedulerConfig.DDIM, CogVideoXSchedulerConfig.DPM)) {
            CogVideoXScheduler s = trailing(cls);
            s.setTimesteps(61);
            Tensor x = new TorchGenerator(5).randn(1, 16);
            NoiseSource noise = NoiseSource.of(new TorchGenerator(6));
            for (long t : s.timesteps()) {
                Tensor v = Tensor.of(x.data().clone(), x.shape());
                x = s.step(v, t, x, noise).prevSample();
            }
            for (float f : x.data()) {
                assertThat(f).as(cls).isFinite();
            }
        }
    }

    @Test
    void dpmWithTheCaseGeneratorReproducesTheRecordedSteps() {
        // scheduler_dpm_5b_steps drew its noise from manual_seed(4199): drawing instead of replaying gives the same.
        try (GoldenCase c = GoldenCase.open(FIXTURES.resolve("golden/scheduler_dpm_5b_steps.json"))) {
            CogVideoXScheduler s = CogVideoXScheduler.fromPretrained(c.modelDir());
            assertThat(s).isInstanceOf(CogVideoXDPMScheduler.class);
            s.setTimesteps(4);
            NoiseSource noise = NoiseSource.of(new TorchGenerator(4199));
            Tensor x = c.tensor("in.sample");
            long[] t = s.timesteps();
            for (int i = 0; i < t.length; i++) {
                x = s.step(c.tensor("in.model_output." + i), t[i], x, noise).prevSample();
                assertThat(x.data()).as("prev_sample.%d", i).isEqualTo(c.tensor("out.prev_sample." + i).data());
            }
        }
    }

    @Test
    void dynamicGuidanceUsesTheTimestepAsTheReferenceDoes() {
        // pipeline_t2v_5b_dpm_dyncfg: N = 3, timesteps 999, 666, 332, guidance 6
        double[] expected = {1.0000000386950705, 6.999999981398925, 3.7481633040187146};
        long[] t = {999, 666, 332};
        for (int i = 0; i < 3; i++) {
            assertThat(ClassifierFreeGuidance.dynamicScale(6.0, t[i], 3)).isEqualTo(expected[i]);
        }
        Tensor g = ClassifierFreeGuidance.guide(Tensor.of(new float[]{1f, -2f}, 2), Tensor.of(new float[]{3f, 2f}, 2), 1.5);
        assertThat(g.data()).containsExactly(4f, 4f);
    }

    @Test
    void configErrorsNameTheFileAndKey(@TempDir Path dir) throws IOException {
        Path good = FIXTURES.resolve("models/tiny-cogvideox-2b/scheduler/scheduler_config.json");
        String text = Files.readString(good);
        Path file = dir.resolve("scheduler_config.json");
        Files.writeString(file, text.replace("\"snr_shift_scale\": 3.0,", ""));
        assertThatThrownBy(() -> CogVideoXScheduler.fromPretrained(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("'snr_shift_scale'");
        Files.writeString(file, text.replace("\"v_prediction\"", "\"flow\""));
        assertThatThrownBy(() -> CogVideoXScheduler.fromPretrained(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("prediction_type 'flow'");
        Files.writeString(file, text.replace("{", "{\n  \"a_key_from_the_future\": [1, 2],"));
        CogVideoXScheduler s = CogVideoXScheduler.fromPretrained(dir);
        assertThat(s).isInstanceOf(CogVideoXDDIMScheduler.class);
        assertThat(s.config().snrShiftScale()).isEqualTo(3.0);
        assertThatThrownBy(() -> CogVideoXScheduler.fromPretrained(dir.resolve("nope")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("scheduler_config.json");
    }
}
