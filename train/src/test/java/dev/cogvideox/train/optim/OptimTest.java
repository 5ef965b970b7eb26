package dev.cogvideox.train.optim;

import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.Parameter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** AdamW against a double twin of torch's update, clipping, the learning-rate schedules, interval coverage of EUS. */
class OptimTest {
    @Test
    void adamWFollowsTorchUpdateRule() {
        float[] w0 = {0.5f, -1.25f, 2f, 0f};
        float[][] grads = {{0.1f, -0.2f, 0.3f, 0f}, {-0.05f, 0.4f, 0.1f, 1e-3f}, {0.2f, 0.2f, -0.7f, -1e-3f}};
        AdamW.Config cfg = new AdamW.Config(0.9, 0.95, 1e-8, 0.1);
        Parameter p = new Parameter("w", Tensor.of(w0.clone(), 4));
        AdamW adam = new AdamW(List.of(p), cfg);
        double[] w = new double[4], m = new double[4], v = new double[4];
        for (int i = 0; i < 4; i++) {
            w[i] = w0[i];
        }
        double lr = 1e-2;
        for (int t = 1; t <= grads.length; t++) {
            p.zeroGrad();
            p.accumulate(Tensor.of(grads[t - 1].clone(), 4));
            adam.step(lr);
            for (int i = 0; i < 4; i++) {
                double g = grads[t - 1][i];
                w[i] *= 1 - lr * cfg.weightDecay();
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.95 * v[i] + 0.05 * g * g;
                w[i] -= lr / (1 - Math.pow(0.9, t)) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.95, t)) + 1e-8);
            }
        }
        for (int i = 0; i < 4; i++) {
            assertThat((double) p.value().data()[i]).as("w[%d]", i).isCloseTo(w[i], within(1e-6));
        }
        // the first step moves every weight with a gradient by about lr (Adam's sign-like first step)
        assertThat(w0[0] - w[0]).isGreaterThan(0);
    }

    @Test
    void clippingScalesToTheMaximumGlobalNorm() {
        Parameter a = new Parameter("a", Tensor.zeros(2)), b = new Parameter("b", Tensor.zeros(1));
        a.accumulate(Tensor.of(new float[]{3, 0}, 2));
        b.accumulate(Tensor.of(new float[]{4}, 1));
        assertThat(GradientClipping.clipByGlobalNorm(List.of(a, b), 10)).isEqualTo(5.0);
        assertThat(a.grad().data()).containsExactly(3, 0);                           // below the maximum: unchanged
        assertThat(GradientClipping.clipByGlobalNorm(List.of(a, b), 1)).isEqualTo(5.0);
        assertThat(a.grad().data()[0]).isCloseTo(0.6f, within(1e-6f));
        assertThat(b.grad().data()[0]).isCloseTo(0.8f, within(1e-6f));
    }

    @Test
    void schedulesWarmUpThenDecay() {
        var linear = new LearningRateSchedule(LearningRateSchedule.Kind.LINEAR, 1e-3, 10, 110);
        assertThat(linear.lr(0)).isZero();
        assertThat(linear.lr(5)).isCloseTo(5e-4, within(1e-12));
        assertThat(linear.lr(10)).isCloseTo(1e-3, within(1e-12));
        assertThat(linear.lr(60)).isCloseTo(5e-4, within(1e-12));
        assertThat(linear.lr(110)).isZero();
        var cosine = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 1e-3, 0, 100);
        assertThat(cosine.lr(0)).isCloseTo(1e-3, within(1e-12));
        assertThat(cosine.lr(50)).isCloseTo(5e-4, within(1e-12));
        assertThat(cosine.lr(100)).isCloseTo(0, within(1e-12));
        assertThat(new LearningRateSchedule(LearningRateSchedule.Kind.CONSTANT, 2e-4, 3, 9).lr(8)).isEqualTo(2e-4);
    }

    @Test
    void explicitUniformSamplingCoversEveryIntervalOncePerRound() {
        TimestepSampler s = new TimestepSampler.ExplicitUniform(1000, 8, 1);
        for (int round = 0; round < 50; round++) {
            long[] t = s.sample(8);
            int[] interval = Arrays.stream(t).mapToInt(x -> (int) (x / 125)).toArray();
            assertThat(interval).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        }
        long[] odd = new TimestepSampler.ExplicitUniform(1000, 3, 2).sample(3000);
        assertThat(Arrays.stream(odd).min().getAsLong()).isGreaterThanOrEqualTo(0);
        assertThat(Arrays.stream(odd).max().getAsLong()).isLessThan(1000);
        assertThat(odd[3]).isLessThan(333);   // [0, 333), [333, 666), [666, 1000)
        assertThat(odd[4]).isBetween(333L, 665L);
        assertThat(odd[5]).isGreaterThanOrEqualTo(666);
    }

    /**
     * Each data-parallel share's own part of the schedule: two ranks of 8 intervals take the halves; one rank all 8
     * (the single-process rule); 3 ranks of 8 contiguous runs of 3, 3, 2 intervals that tile [0, 8); 16 ranks of 8
     * intervals the SAT code's groups (ranks 2g and 2g + 1 share interval g); 12 of 8 still one interval each, in order.
     */
    @Test
    void explicitUniformSamplingGivesEachRankItsOwnIntervals() {
        assertThat(TimestepSampler.ExplicitUniform.ownIntervals(0, 2, 8)).containsExactly(0, 4);
        assertThat(TimestepSampler.ExplicitUniform.ownIntervals(1, 2, 8)).containsExactly(4, 4);
        assertThat(TimestepSampler.ExplicitUniform.ownIntervals(0, 1, 8)).containsExactly(0, 8);
        assertThat(TimestepSampler.ExplicitUniform.ownIntervals(0, 3, 8)).containsExactly(0, 3);
        assertThat(TimestepSampler.ExplicitUniform.ownIntervals(1, 3, 8)).containsExactly(3, 3);
        assertThat(TimestepSampler.ExplicitUniform.ownIntervals(2, 3, 8)).containsExactly(6, 2);
        for (int rank = 0; rank < 16; rank++) {
            assertThat(TimestepSampler.ExplicitUniform.ownIntervals(rank, 16, 8)).containsExactly(rank / 2, 1);
        }
        int previous = 0;
        for (int rank = 0; rank < 12; rank++) {
            int[] own = TimestepSampler.ExplicitUniform.ownIntervals(rank, 12, 8);
            assertThat(own[1]).isEqualTo(1);
            assertThat(own[0]).isBetween(previous, previous + 1).isLessThan(8);
            previous = own[0];
        }
        assertThat(previous).isEqualTo(7);
        TimestepSampler.ExplicitUniform s = new TimestepSampler.ExplicitUniform(1000, 8, 3);
        for (int i = 0; i < 200; i++) {
            assertThat(s.draw(5)).isBetween(625L, 749L);
        }
        assertThatThrownBy(() -> TimestepSampler.ExplicitUniform.ownIntervals(2, 2, 8)).hasMessageContaining("share 2 of 2");
    }
}
