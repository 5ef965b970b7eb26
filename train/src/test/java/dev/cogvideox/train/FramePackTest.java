package dev.cogvideox.train;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.ExtrapolatedRope;
import dev.cogvideox.train.model.Parameter;
import dev.cogvideox.train.model.TrainTransformer;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * Frame Pack: a packed batch of a 3-frame clip, an image (one-frame clip) and a smaller 2-frame clip has the loss and
 * the gradients of the three clips computed one by one (mean over clips), for a sincos model (2b) and a RoPE model
 * (5b, positions restarting per clip).
 */
class FramePackTest {
    private static Tensor randn(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-cogvideox-2b", "tiny-cogvideox-5b"})
    void packedBatchEqualsTheClipsOneByOne(String name) {
        Path dir = GoldenSuite.defaultFixtureRoot().resolve("models").resolve(name);
        TrainTransformer model = TrainTransformer.load(dir.resolve("transformer"));
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(dir);
        SplittableRandom rng = new SplittableRandom(11);
        int[][] shapes = {{1, 3, 16, 8, 8}, {1, 1, 16, 8, 8}, {1, 2, 16, 4, 6}};
        long[] timesteps = {37, 500, 911};
        List<TrainingStep.Clip> clips = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            clips.add(new TrainingStep.Clip(randn(rng, s), randn(rng, 1, 16, 32), timesteps[i], randn(rng, s),
                    model.config().useRotaryPositionalEmbeddings() ? ExtrapolatedRope.forLatents(model.config(), s[1], s[3], s[4]) : null));
        }

        // 1. one by one: the mean of the clips' losses and gradients
        double expectedLoss = 0;
        Map<String, float[]> expected = new HashMap<>();
        for (TrainingStep.Clip c : clips) {
            model.parameters().zeroGrad();
            TrainingStep.Result r = TrainingStep.run(model, scheduler, new TrainingStep.Batch(c.latents(), null, c.promptEmbeds(),
                    new long[]{c.timestep()}, c.noise(), c.rope(), null));
            expectedLoss += r.loss().loss() / clips.size();
            for (Parameter p : model.parameters().trainable()) {
                float[] acc = expected.computeIfAbsent(p.name(), k -> new float[p.grad().numel()]);
                for (int i = 0; i < acc.length; i++) {
                    acc[i] += p.grad().data()[i] / clips.size();
                }
            }
        }

        // 2. packed
        model.parameters().zeroGrad();
        TrainingStep.PackedResult packed = TrainingStep.runPacked(model, scheduler, clips);
        assertThat(packed.loss()).isCloseTo(expectedLoss, offset(1e-6 * expectedLoss));
        double scale = expected.values().stream().flatMapToDouble(a -> {
            double[] d = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                d[i] = Math.abs(a[i]);
            }
            return Arrays.stream(d);
        }).max().orElseThrow();
        assertThat(scale).isGreaterThan(0);
        for (Parameter p : model.parameters().trainable()) {
            float[] want = expected.get(p.name()), got = p.grad().data();
            for (int i = 0; i < want.length; i++) {
                assertThat((double) got[i]).as("%s[%d]", p.name(), i).isCloseTo(want[i], offset(1e-5 * scale + 1e-4 * Math.abs(want[i])));
            }
        }
    }
}
