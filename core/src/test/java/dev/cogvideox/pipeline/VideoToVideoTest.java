package dev.cogvideox.pipeline;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Video-to-video on the fixtures' tiny 2b model. */
class VideoToVideoTest {
    private static final CogVideoXPipeline PIPELINE = CogVideoXPipeline.load(GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b"));

    private static GenerationRequest.Builder request(TorchGenerator g) {
        return GenerationRequest.builder().promptEmbeds(g.randn(1, 16, 32), g.randn(1, 16, 32))
                .frames(9).size(64, 64).steps(4).guidance(6);
    }

    private static Tensor source(TorchGenerator g) {
        Tensor v = g.randn(1, 9, 3, 64, 64);
        float[] d = v.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.min(1f, Math.max(0f, 0.5f + 0.2f * d[i]));
        }
        return v;
    }

    /**
     * With zero terminal SNR, alpha_bar(999) = 0, so add_noise at strength 1 keeps only the noise: video-to-video at
     * strength 1 must equal text-to-video started from that same noise, whatever the source video.
     */
    @Test
    void strengthOneIsTextToVideoFromTheSameNoise() {
        TorchGenerator g = new TorchGenerator(7);
        GenerationRequest.Builder b = request(g);
        Tensor video = source(g);
        Tensor posteriorNoise = g.randn(1, 16, 3, 8, 8);
        Tensor noise = g.randn(1, 3, 16, 8, 8);
        Tensor v2v = PIPELINE.generate(b.video(video, 1.0).build(), NoiseSource.replay(List.of(posteriorNoise, noise)),
                RunContext.NONE);
        Tensor t2v = PIPELINE.generate(b.video(null, 0.8).latents(noise).build(), NoiseSource.replay(List.of()),
                RunContext.NONE);
        assertThat(v2v.data()).containsExactly(t2v.data());
    }

    @Test
    void strengthSetsHowManyStepsRun() {
        TorchGenerator g = new TorchGenerator(8);
        GenerationRequest.Builder b = request(g);
        Tensor video = source(g);
        List<String> calls = new ArrayList<>();
        PIPELINE.generate(b.video(video, 0.5).build(), NoiseSource.of(new TorchGenerator(1)), RunContext.NONE.withTaps(
                (name, t) -> {
                    if (name.startsWith("transformer_timestep_in.")) {
                        calls.add(name + "=" + (long) t.data()[0]);
                    }
                }));
        // set_timesteps(4) gives 999, 749, 499, 249; strength 0.5 keeps the last int(4 * 0.5) = 2
        assertThat(calls).containsExactly("transformer_timestep_in.0=499", "transformer_timestep_in.1=249");
    }

    @Test
    void rejectsWrongShapesAndStrengths() {
        TorchGenerator g = new TorchGenerator(9);
        assertThatThrownBy(() -> PIPELINE.generate(request(g).video(Tensor.zeros(1, 9, 3, 32, 64), 0.5).build(), NoiseSource.of(g),
                RunContext.NONE)).hasMessageContaining("video must be [1, F, 3, 64, 64]");
        assertThatThrownBy(() -> request(g).video(Tensor.zeros(1, 9, 3, 64, 64), 0).build()).hasMessageContaining("strength must be in (0, 1]");
    }

    /** As diffusers (num_frames = len(video)): the source video's frame count decides, whatever the request's frames say. */
    @Test
    void theSourceVideosFrameCountDecides() {
        TorchGenerator g = new TorchGenerator(10);
        Tensor video = PIPELINE.generate(request(g).frames(49).video(Tensor.zeros(1, 5, 3, 64, 64), 0.5).build(), NoiseSource.of(g),
                RunContext.NONE);
        assertThat(video.dim(1)).isEqualTo(8);                      // 5 frames: 2 latent frames, one even batch: 8 frames
    }

    /** diffusers' video-to-video pipeline runs the 1.5 models when the latent frames divide by patch_size_t, else refuses. */
    @Test
    void cogVideoX15TakesAnEvenLatentFrameCount() {
        CogVideoXPipeline v15 = CogVideoXPipeline.load(GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox1.5-5b"));
        TorchGenerator g = new TorchGenerator(11);
        GenerationRequest.Builder b = GenerationRequest.builder().promptEmbeds(g.randn(1, 16, 32), null).size(32, 32).steps(2).guidance(1);
        Tensor out = v15.generate(b.video(Tensor.zeros(1, 13, 3, 32, 32), 0.8).build(), NoiseSource.of(g), RunContext.NONE);
        assertThat(out.dim(1)).isEqualTo(16);                       // 13 frames: 4 latent frames
        assertThatThrownBy(() -> v15.generate(b.video(Tensor.zeros(1, 9, 3, 32, 32), 0.8).build(), NoiseSource.of(g), RunContext.NONE)).hasMessageContaining("3 latent frames").hasMessageContaining("e.g. 13 frames");
    }

    /** strength x steps < 1 keeps no step (get_timesteps' int(N x strength) = 0): refused, naming the smallest strength that works. */
    @org.junit.jupiter.api.Test
    void aStrengthThatKeepsNoStepIsRefusedWithTheSmallestThatWorks() {
        dev.cogvideox.tensor.Tensor video = dev.cogvideox.tensor.Tensor.zeros(1, 9, 3, 64, 64);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GenerationRequest.builder().prompt("p").frames(9).size(64, 64).steps(4)
                        .video(video, 0.2).build())
                .hasMessageContaining("int(4 x 0.2) = 0").hasMessageContaining("smallest strength for 4 steps is 0.250");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GenerationRequest.builder().prompt("p").frames(9).size(64, 64).steps(3)
                        .video(video, 0.3).build())
                .hasMessageContaining("smallest strength for 3 steps is 0.334");
        GenerationRequest.builder().prompt("p").frames(9).size(64, 64).steps(3).video(video, 0.334).build();
        GenerationRequest.builder().prompt("p").frames(9).size(64, 64).steps(4).video(video, 0.25).build();
    }
}
