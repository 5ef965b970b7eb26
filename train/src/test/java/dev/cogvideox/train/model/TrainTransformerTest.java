package dev.cogvideox.train.model;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.model.transformer.RotaryPositions;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.TrainingStep;
import dev.cogvideox.train.lora.LoraAdapter;
import dev.cogvideox.train.lora.LoraWeights;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recording forward against the inference forward of the core model (the same numbers on every transformer
 * golden case: recording changes nothing but what is kept) and the backward pass
 * against directional finite differences of the training loss, for every parameter of every model variant: conv
 * and 1.5 linear patch embeddings, sincos / learned / RoPE positions, the ofs embedding, the final AdaLayerNorm.
 */
class TrainTransformerTest {
    private static final Path ROOT = GoldenSuite.defaultFixtureRoot();

    private static Tensor randn(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    @Test
    void forwardMatchesTheCoreModelOnEveryTransformerCase() {
        List<Path> cases = GoldenSuite.discover(ROOT).stream().filter(p -> p.getFileName().toString().startsWith("transformer_")).toList();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(10);
        for (Path json : cases) {
            try (GoldenCase c = GoldenCase.open(json);
                 CogVideoXTransformer3DModel core = CogVideoXTransformer3DModel.load(c.modelDir().resolve("transformer"))) {
                TrainTransformer twin = TrainTransformer.load(c.modelDir().resolve("transformer"));
                Tensor hidden = c.tensor("in.hidden_states"), text = c.tensor("in.encoder_hidden_states");
                long[] steps = c.longs("in.timestep");
                float[] t = new float[steps.length];
                for (int i = 0; i < t.length; i++) {
                    t[i] = steps[i];
                }
                float[] ofs = c.has("in.ofs") ? c.tensor("in.ofs").data() : null;
                Embeddings.RotaryTable rope = core.config().useRotaryPositionalEmbeddings()
                        ? RotaryPositions.forLatents(core.config(), hidden.dim(3), hidden.dim(4), hidden.dim(1)) : null;
                Tensor expected = core.forward(hidden, text, t, rope, ofs);
                Tensor actual = twin.forward(hidden, text, t, rope, ofs).output();
                assertThat(actual.data()).as(c.name()).containsExactly(expected.data());
            }
        }
    }

    /** A training batch for the fixture model {@code name}: 2 samples, 2 latent frames of 8 x 8, timesteps 37 and 811. */
    private record Setup(TrainTransformer model, CogVideoXScheduler scheduler, TrainingStep.Batch batch) {
        double loss() {
            model.parameters().zeroGrad();
            return TrainingStep.run(model, scheduler, batch).loss().loss();
        }
    }

    private static Setup setup(String name, int frames, long seed) {
        Path dir = ROOT.resolve("models").resolve(name);
        TrainTransformer model = TrainTransformer.load(dir.resolve("transformer"));
        CogVideoXTransformerConfig cfg = model.config();
        SplittableRandom rng = new SplittableRandom(seed);
        int out = cfg.outChannels(), image = cfg.inChannels() - out;
        Tensor latents = randn(rng, 2, frames, out, 8, 8);
        Tensor imageLatents = image == 0 ? null : randn(rng, 2, frames, image, 8, 8);
        Embeddings.RotaryTable rope = cfg.useRotaryPositionalEmbeddings() ? RotaryPositions.forLatents(cfg, 8, 8, frames) : null;
        float[] ofs = cfg.ofsEmbedDim() == null ? null : new float[]{2.0f};
        TrainingStep.Batch batch = new TrainingStep.Batch(latents, imageLatents, randn(rng, 2, cfg.maxTextSeqLength(), cfg.textEmbedDim()),
                new long[]{37, 811}, randn(rng, 2, frames, out, 8, 8), rope, ofs);
        return new Setup(model, CogVideoXScheduler.fromPretrained(dir), batch);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-cogvideox-2b", "tiny-cogvideox-5b", "tiny-cogvideox-5b-i2v", "tiny-cogvideox1.5-5b-i2v"})
    void gradientOfEveryParameterMatchesFiniteDifferences(String name) {
        Setup s = setup(name, name.contains("i2v") && !name.contains("1.5") ? 3 : 2, name.hashCode());
        assertThat(s.model().parameters().all()).extracting(Parameter::name)
                .contains("patch_embed.proj.weight", "time_embedding.linear_1.weight", "norm_out.linear.weight", "proj_out.bias");
        assertDirectionalGradients(s);
    }

    @Test
    void loraGradientsMatchFiniteDifferences() {
        Setup s = setup("tiny-cogvideox-5b", 2, 3);
        LoraWeights lora = LoraAdapter.init(s.model(), 4, 8, 1);
        Map<String, Tensor> keys = new LinkedHashMap<>(lora.toKeys());
        SplittableRandom rng = new SplittableRandom(2);
        keys.replaceAll((k, t) -> k.contains("lora_B") ? randn(rng, t.shape()) : t);   // B = 0 would leave dA = 0
        LoraAdapter.attach(s.model(), LoraWeights.fromKeys(keys, 8.0, "test"), true);
        LoraAdapter.setScale(s.model(), 0.5);
        assertThat(s.model().parameters().trainable()).hasSize(2 * 4 * 2).allMatch(p -> p.name().contains(".lora_"));
        assertDirectionalGradients(s);
    }

    /**
     * For every trainable parameter p and a random direction u: {@code <dL/dp, u>} against
     * {@code (L(p + hu) - L(p - hu)) / 2h}. The float32 forward limits the finite difference to about 1e-4.
     */
    private static void assertDirectionalGradients(Setup s) {
        s.loss();
        Map<String, Tensor> grads = new LinkedHashMap<>();
        s.model().parameters().trainable().forEach(p -> grads.put(p.name(), p.grad().copy()));
        SplittableRandom rng = new SplittableRandom(42);
        double h = 1e-3;
        List<String> failures = new ArrayList<>();
        for (Parameter p : s.model().parameters().trainable()) {
            float[] v = p.value().data(), keep = v.clone(), g = grads.get(p.name()).data();
            double[] u = new double[v.length];
            double analytic = 0;
            for (int i = 0; i < v.length; i++) {
                u[i] = rng.nextGaussian();
                analytic += g[i] * u[i];
            }
            double[] sides = new double[2];
            for (int side = 0; side < 2; side++) {
                double step = side == 0 ? h : -h;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (keep[i] + step * u[i]);
                }
                sides[side] = s.loss();
            }
            System.arraycopy(keep, 0, v, 0, v.length);
            double numeric = (sides[0] - sides[1]) / (2 * h);
            if (Math.abs(analytic - numeric) > 5e-4 + 1e-2 * Math.abs(numeric)) {
                failures.add(p.name() + ": analytic " + analytic + ", finite difference " + numeric);
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void recomputingTheBlocksGivesTheSameGradients() {
        Setup s = setup("tiny-cogvideox-5b", 2, 5);
        s.loss();
        Map<String, float[]> stored = new HashMap<>();
        s.model().parameters().all().forEach(p -> stored.put(p.name(), p.grad().data().clone()));
        s.model().setRecomputeBlocks(true);
        s.loss();
        for (Parameter p : s.model().parameters().all()) {
            assertThat(p.grad().data()).as(p.name()).containsExactly(stored.get(p.name()));
        }
    }

    @Test
    void frozenParametersTakeNoGradient() {
        Setup s = setup("tiny-cogvideox-2b", 2, 6);
        s.model().parameters().setTrainable(n -> n.startsWith("proj_out."));
        s.loss();
        assertThat(s.model().parameters().trainable()).extracting(Parameter::name).containsExactly("proj_out.weight", "proj_out.bias");
        assertThat(s.model().parameters().get("norm_out.linear.weight").grad()).isNull();
        assertThat(s.model().parameters().get("proj_out.weight").grad()).isNotNull();
    }
}
