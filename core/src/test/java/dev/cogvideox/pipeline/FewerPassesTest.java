package dev.cogvideox.pipeline;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Taps;
import dev.cogvideox.model.cache.CacheReport;
import dev.cogvideox.model.cache.CacheSetting;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.sparse.SparseSetting;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Custom timesteps and step caches through the whole denoising loop of the fixtures' tiny models. */
class FewerPassesTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    private static Tensor denoise(String model, Sampling sampling, int steps, double guidance, ProgressListener progress, Taps taps) {
        return denoise(model, sampling, steps, guidance, progress, taps, 64);
    }

    private static Tensor denoise(String model, Sampling sampling, int steps, double guidance, ProgressListener progress, Taps taps, int size) {
        TorchGenerator g = new TorchGenerator(21);
        GenerationRequest req = GenerationRequest.builder().promptEmbeds(g.randn(1, 16, 32), g.randn(1, 16, 32))
                .frames(9).size(size, size).steps(steps).guidance(guidance).sampling(sampling).build();
        return CogVideoXPipeline.load(MODELS.resolve(model)).denoise(req, NoiseSource.of(new TorchGenerator(4)),
                new RunContext(progress, new CancellationToken(), taps));
    }

    private static Sampling cached(String setting, List<CacheReport> reports) {
        return Sampling.DEFAULT.withCache(CacheSetting.parse(setting), reports::add);
    }

    /** Settings that reuse nothing give the uncached loop's bits, and the report says every step and block ran. */
    @Test
    void settingsThatReuseNothingAreBitIdenticalToNoCache() {
        for (String model : new String[]{"tiny-cogvideox-2b", "tiny-cogvideox-5b"}) {
            Tensor plain = denoise(model, Sampling.DEFAULT, 8, 6, ProgressListener.NONE, Taps.NONE);
            for (String setting : new String[]{"none", "teacache:0", "pab:1"}) {
                List<CacheReport> reports = new ArrayList<>();
                Tensor got = denoise(model, cached(setting, reports), 8, 6, ProgressListener.NONE, Taps.NONE);
                assertThat(got.data()).as(model + " " + setting).containsExactly(plain.data());
                if (!setting.equals("none")) {
                    assertThat(reports).singleElement().satisfies(r -> {
                        assertThat(r.computedSteps()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
                        assertThat(r.attentionReused()).isZero();
                    });
                }
            }
        }
    }

    /**
     * A high TeaCache threshold skips steps: the first and last still run, the report lists the skipped ones, and
     * the transformer really did not run their blocks (a skipped step reports its blocks done in one go).
     */
    @Test
    void aHighTeaCacheThresholdSkipsStepsAndSaysWhich() {
        List<CacheReport> reports = new ArrayList<>();
        Map<Long, List<Long>> subProgress = new HashMap<>();
        long[] step = {0};
        ProgressListener progress = new ProgressListener() {
            @Override
            public void onStart(String task, long total, ProgressUnit unit) {
            }

            @Override
            public void onProgress(long done) {
                step[0] = done;
            }

            @Override
            public void onSubProgress(long done, long total) {
                subProgress.computeIfAbsent(step[0], k -> new ArrayList<>()).add(done);
            }

            @Override
            public void onEnd() {
            }
        };
        Tensor got = denoise("tiny-cogvideox-2b", cached("teacache:1", reports), 8, 6, progress, Taps.NONE);
        Tensor plain = denoise("tiny-cogvideox-2b", Sampling.DEFAULT, 8, 6, ProgressListener.NONE, Taps.NONE);
        CacheReport r = reports.getFirst();
        assertThat(r.computedSteps()).startsWith(0).endsWith(7);
        assertThat(r.skippedSteps()).isNotEmpty();
        assertThat(r.describe()).contains("skipped, cached residual added");
        for (long s = 0; s < 8; s++) {
            List<Long> blocks = subProgress.get(s);
            assertThat(blocks).as("step " + s).isEqualTo(r.computedSteps().contains((int) s) ? List.of(1L, 2L) : List.of(2L));
        }
        assertThat(got.data()).isNotEqualTo(plain.data());
        for (float v : got.data()) {
            assertThat(Float.isFinite(v)).isTrue();
        }
    }

    /** PAB on the default range reuses attention at some steps and changes the result; the report says where. */
    @Test
    void pyramidAttentionBroadcastReusesAttentionInsideItsRange() {
        List<CacheReport> reports = new ArrayList<>();
        Tensor got = denoise("tiny-cogvideox-5b", cached("pab", reports), 10, 6, ProgressListener.NONE, Taps.NONE);
        Tensor plain = denoise("tiny-cogvideox-5b", Sampling.DEFAULT, 10, 6, ProgressListener.NONE, Taps.NONE);
        // set_timesteps(10): 999, 899, ..., 99; inside (100, 800): 799 (call 2, computed), 699 (3, reused), 599 (4), 499 (5, reused), ...
        CacheReport r = reports.getFirst();
        assertThat(r.computedSteps()).hasSize(10);
        assertThat(r.describe()).contains("at steps 3, 5, 7");
        assertThat(r.attentionReused()).isEqualTo(3L * 2);
        assertThat(got.data()).isNotEqualTo(plain.data());
    }

    /**
     * Sparse attention: all steps dense gives the dense bits; sparse after the first half changes the result and says
     * how (at 128 x 128: 3 latent frames of 64 tokens, so that query tasks fall within frames).
     */
    @Test
    void sparseAttentionIsDenseForItsFirstStepsAndReportsItsHeads() {
        for (String model : new String[]{"tiny-cogvideox-2b", "tiny-cogvideox-5b"}) {
            Tensor plain = denoise(model, Sampling.DEFAULT, 6, 6, ProgressListener.NONE, Taps.NONE, 128);
            List<String> notes = new ArrayList<>();
            Tensor allDense = denoise(model, Sampling.DEFAULT.withAttention(SparseSetting.parse("sparse:1"), notes::add), 6, 6,
                    ProgressListener.NONE, Taps.NONE, 128);
            assertThat(allDense.data()).as(model).containsExactly(plain.data());
            assertThat(notes).singleElement().asString().contains("0 spatial and 0 temporal");
            notes.clear();
            Tensor sparse = denoise(model, Sampling.DEFAULT.withAttention(SparseSetting.parse("sparse:0.5"), notes::add), 6, 6,
                    ProgressListener.NONE, Taps.NONE, 128);
            assertThat(sparse.data()).as(model + " " + notes).isNotEqualTo(plain.data());
            for (float x : sparse.data()) {
                assertThat(Float.isFinite(x)).isTrue();
            }
            // 3 sparse steps x 2 blocks x 2 heads, each spatial or temporal
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) spatial and (\\d+) temporal head passes").matcher(notes.getFirst());
            assertThat(m.find()).as(notes.getFirst()).isTrue();
            assertThat(Long.parseLong(m.group(1)) + Long.parseLong(m.group(2))).as(notes.getFirst()).isEqualTo(3 * 2 * 2);
        }
    }

    /**
     * The TDM list, no guidance: the transformer sees exactly 999, 856, 665, 399, and each step's latents follow
     * the distilled sampler (x_0 from the prediction, re-noised with the predicted noise to the next timestep; the
     * clean x_0 at the end), recomputed here in float64 from the scheduler's alphas_cumprod and the tapped prediction.
     */
    @Test
    void theTdmListRunsFourPassesWithTheDistilledSamplersArithmetic() {
        Map<String, Tensor> tapped = new HashMap<>();
        long[] tdm = {999, 856, 665, 399};
        Tensor out = denoise("tiny-cogvideox-2b", Sampling.DEFAULT.withTimesteps(tdm), 4, 1, ProgressListener.NONE,
                (name, t) -> tapped.put(name, t.copy()));
        double[] ac = CogVideoXScheduler.fromPretrained(MODELS.resolve("tiny-cogvideox-2b")).alphasCumprod();
        for (int k = 0; k < 4; k++) {
            assertThat(tapped.get("transformer_timestep_in." + k).data()).containsExactly((float) tdm[k]);
            assertThat(tapped.get("transformer_hidden_states_in." + k).dim(0)).as("no CFG batch").isEqualTo(1);
            float[] x = tapped.get("transformer_hidden_states_in." + k).data(), v = tapped.get("noise_pred_raw." + k).data();
            float[] next = tapped.get("latents_after_step." + k).data();
            double a = ac[(int) tdm[k]], aNext = k < 3 ? ac[(int) tdm[k + 1]] : 1.0;
            for (int i = 0; i < x.length; i++) {
                double x0 = Math.sqrt(a) * x[i] - Math.sqrt(1 - a) * v[i];
                double eps = Math.sqrt(a) * v[i] + Math.sqrt(1 - a) * x[i];
                double want = Math.sqrt(aNext) * x0 + Math.sqrt(1 - aNext) * eps;
                assertThat((double) next[i]).isCloseTo(want, within(2e-5 + 2e-5 * Math.abs(want)));
            }
        }
        assertThat(tapped).doesNotContainKey("transformer_timestep_in.4");
        assertThat(out.data()).containsExactly(tapped.get("latents_after_step.3").data());
    }
}
