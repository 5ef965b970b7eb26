package dev.cogvideox.train;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.loss.VPredictionLoss;
import dev.cogvideox.train.model.TrainTransformer;
import dev.cogvideox.train.optim.AdamW;
import dev.cogvideox.train.optim.LearningRateSchedule;
import dev.cogvideox.train.optim.TimestepSampler;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Training on a fixed tiny dataset (4 clips of 2 latent frames of 8 x 8 with their prompt embeddings) with the 2b
 * fixture model: Explicit Uniform Sampling lowers the variance of the per-step loss, and a few hundred AdamW steps
 * lower the loss.
 */
class TrainingLoopTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
    private static final int CLIPS = 4, BATCH = 4;

    private static Tensor randn(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    /** The dataset: smooth latents (a few low-frequency patterns, so there is something to learn) and prompts. */
    private record Dataset(Tensor latents, Tensor prompts) {
        static Dataset create() {
            SplittableRandom rng = new SplittableRandom(7);
            Tensor latents = Tensor.zeros(CLIPS, 2, 16, 8, 8);
            float[] d = latents.data();
            for (int c = 0; c < CLIPS; c++) {
                double fx = 0.3 + 0.2 * c, fy = 0.5 - 0.1 * c;
                for (int i = 0; i < d.length / CLIPS; i++) {
                    int x = i % 8, y = (i / 8) % 8, ch = (i / 64) % 16;
                    d[c * (d.length / CLIPS) + i] = (float) Math.sin(fx * x + fy * y + 0.4 * ch + c);
                }
            }
            return new Dataset(latents, randn(rng, CLIPS, 16, 32));
        }

        /** A batch of every clip with fresh noise and the given timesteps. */
        TrainingStep.Batch batch(SplittableRandom rng, long[] timesteps) {
            return new TrainingStep.Batch(latents, null, prompts, timesteps, randn(rng, latents.shape()), null, null);
        }
    }

    @Test
    void explicitUniformSamplingLowersTheVarianceOfTheStepLoss() {
        TrainTransformer model = TrainTransformer.load(MODEL.resolve("transformer"));
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(MODEL);
        Dataset data = Dataset.create();
        double iid = stepLossVariance(model, scheduler, data, new TimestepSampler.Iid(1000, 1));
        double eus = stepLossVariance(model, scheduler, data, new TimestepSampler.ExplicitUniform(1000, BATCH, 1));
        assertThat(eus).as("variance with Explicit Uniform Sampling vs i.i.d. %s", iid).isLessThan(0.6 * iid);
    }

    /** Variance over 60 steps of the batch loss, the model fixed (forward only). */
    private static double stepLossVariance(TrainTransformer model, CogVideoXScheduler scheduler, Dataset data, TimestepSampler sampler) {
        SplittableRandom rng = new SplittableRandom(3);
        int steps = 60;
        double[] loss = new double[steps];
        for (int s = 0; s < steps; s++) {
            TrainingStep.Batch b = data.batch(rng, sampler.sample(BATCH));
            Tensor noisy = VPredictionLoss.noisyInput(scheduler, b.latents(), b.noise(), b.timesteps());
            float[] t = new float[BATCH];
            for (int i = 0; i < BATCH; i++) {
                t[i] = b.timesteps()[i];
            }
            Tensor v = model.forward(noisy, b.promptEmbeds(), t, null, null).output();
            loss[s] = VPredictionLoss.evaluate(scheduler, v, noisy, b.latents(), b.timesteps()).loss();
        }
        double mean = java.util.Arrays.stream(loss).average().orElseThrow();
        return java.util.Arrays.stream(loss).map(x -> (x - mean) * (x - mean)).sum() / (steps - 1);
    }

    @Test
    void lossDropsOverAFewHundredSteps() {
        TrainTransformer model = TrainTransformer.load(MODEL.resolve("transformer"));
        int steps = 300;
        Trainer trainer = new Trainer(model, CogVideoXScheduler.fromPretrained(MODEL), new Trainer.Config(
                AdamW.Config.COGVIDEOX, new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 2e-3, 20, steps), 1.0));
        Dataset data = Dataset.create();
        TimestepSampler sampler = new TimestepSampler.ExplicitUniform(1000, BATCH, 2);
        SplittableRandom rng = new SplittableRandom(4);
        double first = 0, last = 0;
        for (int s = 0; s < steps; s++) {
            Trainer.StepReport r = trainer.step(data.batch(rng, sampler.sample(BATCH)));
            assertThat(r.loss()).isFinite();
            if (s < 30) {
                first += r.loss() / 30;
            } else if (s >= steps - 30) {
                last += r.loss() / 30;
            }
        }
        assertThat(last).as("mean loss of the last 30 steps vs the first 30 (%s)", first).isLessThan(0.6 * first);
    }
}
