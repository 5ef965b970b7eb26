package dev.cogvideox.model.schedule;

import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Caller-given timestep lists: each step goes to the next list entry, the last one to x_0. */
class CustomTimestepsTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    /**
     * A list equal to set_timesteps(N)'s trailing one is spaced by T // N, so "the next entry" and "t - T // N" are
     * the same target: both paths must give the same bits, for the deterministic DDIM and the stochastic DPM.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-cogvideox-2b", "tiny-cogvideox-5b"})
    void aUniformListIsSetTimestepsArithmetic(String model) {
        for (int n : new int[]{4, 10, 50}) {
            CogVideoXScheduler byCount = CogVideoXScheduler.fromPretrained(MODELS.resolve(model));
            byCount.setTimesteps(n);
            long[] list = byCount.timesteps();
            CogVideoXScheduler byList = CogVideoXScheduler.fromPretrained(MODELS.resolve(model));
            byList.setTimesteps(list);
            assertThat(byList.timesteps()).containsExactly(list);
            assertThat(byList.numInferenceSteps()).isEqualTo(n);
            TorchGenerator g = new TorchGenerator(11);
            Tensor x = g.randn(1, 2, 4, 4, 4);
            Tensor y = x.copy();
            NoiseSource na = NoiseSource.of(new TorchGenerator(5)), nb = NoiseSource.of(new TorchGenerator(5));
            for (long t : list) {
                Tensor v = g.randn(1, 2, 4, 4, 4);
                x = byCount.step(v, t, x, na).prevSample();
                y = byList.step(v, t, y, nb).prevSample();
                assertThat(y.data()).as(model + " N=" + n + " t=" + t).containsExactly(x.data());
            }
        }
    }

    /**
     * The TDM-CogVideoX-2B list through the 2b DDIM scheduler against TDM's own few-step sampler, written out here
     * from its formulas (train_tdm_demo.py generate_new: x_0 from the prediction at t_k, then add_noise(x_0,
     * predicted noise, t_{k+1}); the last step returns x_0), in float64 from alphas_cumprod.
     */
    @Test
    void theTdmListFollowsTheDistilledSamplersArithmetic() {
        CogVideoXScheduler s = CogVideoXScheduler.fromPretrained(MODELS.resolve("tiny-cogvideox-2b"));
        long[] list = {999, 856, 665, 399};
        s.setTimesteps(list);
        double[] ac = s.alphasCumprod();
        assertThat(ac[999]).as("zero terminal SNR").isEqualTo(0.0);
        TorchGenerator g = new TorchGenerator(3);
        Tensor x = g.randn(2, 3, 4, 4, 4);
        for (int k = 0; k < list.length; k++) {
            Tensor v = g.randn(2, 3, 4, 4, 4);
            double a = ac[(int) list[k]];
            double aNext = k + 1 < list.length ? ac[(int) list[k + 1]] : 1.0;     // set_alpha_to_one: x_0 at the end
            float[] want = new float[x.numel()];
            for (int i = 0; i < want.length; i++) {
                double xi = x.data()[i], vi = v.data()[i];
                double x0 = Math.sqrt(a) * xi - Math.sqrt(1 - a) * vi;           // v-prediction
                double eps = Math.sqrt(a) * vi + Math.sqrt(1 - a) * xi;
                want[i] = (float) (Math.sqrt(aNext) * x0 + Math.sqrt(1 - aNext) * eps);
            }
            x = s.step(v, list[k], x, NoiseSource.replay(java.util.List.of())).prevSample();
            for (int i = 0; i < want.length; i++) {
                assertThat(x.data()[i]).as("step " + k + " element " + i).isCloseTo(want[i], within(2e-5f + 2e-5f * Math.abs(want[i])));
            }
        }
    }

    @Test
    void badListsAreRefusedSayingWhy() {
        CogVideoXScheduler s = CogVideoXScheduler.fromPretrained(MODELS.resolve("tiny-cogvideox-2b"));
        assertThatThrownBy(() -> s.setTimesteps(new long[]{999, 999, 500})).hasMessageContaining("strictly decreasing: 999 follows 999");
        assertThatThrownBy(() -> s.setTimesteps(new long[]{500, 700})).hasMessageContaining("strictly decreasing: 700 follows 500");
        assertThatThrownBy(() -> s.setTimesteps(new long[]{1000, 500})).hasMessageContaining("timestep 1000 is outside [0, 1000)");
        assertThatThrownBy(() -> s.setTimesteps(new long[]{999, -1})).hasMessageContaining("timestep -1 is outside [0, 1000)");
        assertThatThrownBy(() -> s.setTimesteps(new long[0])).hasMessageContaining("empty");
        s.setTimesteps(new long[]{999, 500});
        assertThatThrownBy(() -> s.step(Tensor.zeros(1, 1, 1, 1, 1), 700, Tensor.zeros(1, 1, 1, 1, 1), NoiseSource.replay(java.util.List.of())))
                .hasMessageContaining("timestep 700 is not in the custom list [999, 500]");
    }
}
