package dev.cogvideox.train.loss;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The weighted x0-space loss: its gradient, its equality with the v-space MSE, and the t = 999 endpoint. */
class VPredictionLossTest {
    private static final CogVideoXScheduler SCHEDULER = CogVideoXScheduler.fromPretrained(
            GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-5b"));
    private static final long[] T = {37, 811, 999};

    private static Tensor randn(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    private record Inputs(Tensor x0, Tensor noisy, Tensor v) {
    }

    private static Inputs inputs() {
        SplittableRandom rng = new SplittableRandom(1);
        Tensor x0 = randn(rng, 3, 2, 4, 3, 5);
        Tensor noisy = VPredictionLoss.noisyInput(SCHEDULER, x0, randn(rng, x0.shape()), T);
        return new Inputs(x0, noisy, randn(rng, x0.shape()));
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        Inputs in = inputs();
        Tensor grad = VPredictionLoss.evaluate(SCHEDULER, in.v(), in.noisy(), in.x0(), T).dModelOutput();
        float[] v = in.v().data();
        for (int i = 0; i < v.length; i += 7) {
            float keep = v[i];
            float h = 1e-2f;
            v[i] = keep + h;
            double plus = VPredictionLoss.evaluate(SCHEDULER, in.v(), in.noisy(), in.x0(), T).loss();
            v[i] = keep - h;
            double minus = VPredictionLoss.evaluate(SCHEDULER, in.v(), in.noisy(), in.x0(), T).loss();
            v[i] = keep;
            // the loss is quadratic in v, so the central difference is exact up to rounding
            assertThat((double) grad.data()[i]).as("dv[%d]", i).isCloseTo((plus - minus) / (2 * h), within(1e-6 + 1e-4 * Math.abs(grad.data()[i])));
        }
    }

    @Test
    void equalsTheVSpaceMeanSquaredError() {
        Inputs in = inputs();
        VPredictionLoss.Value value = VPredictionLoss.evaluate(SCHEDULER, in.v(), in.noisy(), in.x0(), T);
        // v_target = sqrt(a) noise - sqrt(1 - a) x0 = get_velocity(x0, noise); noise recovered from the noisy input
        double[] ac = SCHEDULER.alphasCumprod();
        int per = in.x0().numel() / T.length;
        for (int b = 0; b < T.length; b++) {
            double a = ac[(int) T[b]], sum = 0;
            for (int i = b * per; i < (b + 1) * per; i++) {
                double noise = a == 0 ? in.noisy().data()[i] : (in.noisy().data()[i] - Math.sqrt(a) * in.x0().data()[i]) / Math.sqrt(1 - a);
                double target = Math.sqrt(a) * noise - Math.sqrt(1 - a) * in.x0().data()[i];
                sum += Math.pow(in.v().data()[i] - target, 2);
            }
            assertThat(value.perSample()[b]).as("sample %d", b).isCloseTo(sum / per, within(1e-4 * sum / per));
        }
        // t = 999 (zero terminal SNR): weight 1 and x0_pred = -v
        assertThat(value.weights()[2]).isEqualTo(1.0);
        for (int i = 2 * per; i < 3 * per; i++) {
            assertThat(value.modelPred().data()[i]).isEqualTo(-in.v().data()[i]);
        }
    }
}
