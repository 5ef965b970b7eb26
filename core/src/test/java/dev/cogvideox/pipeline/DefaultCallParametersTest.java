package dev.cogvideox.pipeline;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.schedule.CogVideoXSchedulerConfig;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A request's unset call parameters take the model's defaults, as diffusers' {@code __call__} fills {@code height},
 * {@code width} and {@code num_frames} from the configs (the fixture README: {@code sample_height/width} 8 latents,
 * {@code sample_frames} 9, {@code max_text_seq_length} 16), with dynamic guidance where the scheduler is DPM.
 */
class DefaultCallParametersTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    @Test
    void unsetParametersTakeTheModelsDefaultsAndGivenOnesStay() {
        CogVideoXPipeline dpm = CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-5b"));
        GenerationRequest asked = GenerationRequest.builder().prompt("a lighthouse").build();
        assertThat(asked.isComplete()).isFalse();
        GenerationRequest req = dpm.complete(asked);
        assertThat(req.isComplete()).isTrue();
        assertThat(new int[]{req.numFrames(), req.height(), req.width(), req.numInferenceSteps(), req.maxSequenceLength()})
                .containsExactly(9, 64, 64, 50, 16);
        assertThat(req.guidanceScale()).isEqualTo(6.0);
        assertThat(req.useDynamicCfg()).as("DPM: the official demo's dynamic guidance").isTrue();
        assertThat(dpm.withScheduler(CogVideoXSchedulerConfig.DDIM).complete(asked).useDynamicCfg()).isFalse();
        assertThat(CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-2b")).complete(asked).useDynamicCfg()).isFalse();

        GenerationRequest given = dpm.complete(GenerationRequest.builder().prompt("a lighthouse").frames(17).size(96, 128).steps(3)
                .guidance(2.5).dynamicCfg(false).maxSequenceLength(226).build());
        assertThat(new int[]{given.numFrames(), given.height(), given.width(), given.numInferenceSteps(), given.maxSequenceLength()})
                .containsExactly(17, 96, 128, 3, 226);
        assertThat(given.guidanceScale()).isEqualTo(2.5);
        assertThat(given.useDynamicCfg()).isFalse();
        assertThat(dpm.complete(given)).isSameAs(given);
    }

    @Test
    void sizesAndFrameCountsTheModelCannotTakeAreRefusedBeforeAnyWork() {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-2b"));
        assertThatThrownBy(() -> pipeline.generate(GenerationRequest.builder().prompt("p").size(60, 64).build(),
                NoiseSource.of(new TorchGenerator(1)), RunContext.NONE))
                .hasMessageContaining("multiples of 16 (8x VAE, 2x patch), got 64x60");
        assertThatThrownBy(() -> pipeline.generate(GenerationRequest.builder().prompt("p").frames(0).build(),
                NoiseSource.of(new TorchGenerator(1)), RunContext.NONE))
                .hasMessageContaining("frames must be at least 1, got 0");
    }

    @Test
    void videoToVideoTakesTheSourcesFrameCount() {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-2b"));
        Tensor video = Tensor.zeros(1, 5, 3, 64, 64);
        GenerationRequest req = pipeline.complete(GenerationRequest.builder().prompt("p").video(video, 0.5).build());
        assertThat(req.numFrames()).isEqualTo(5);
        assertThat(pipeline.outputFrames(req)).isEqualTo(pipeline.outputFrames(5));
    }

    @Test
    void aRequestLeftToTheDefaultsGeneratesWhatTheExplicitDefaultsGenerate() {
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(MODELS.resolve("tiny-cogvideox-5b"));
        GenerationRequest unset = GenerationRequest.builder().prompt("a lighthouse").steps(2).build();
        GenerationRequest explicit = GenerationRequest.builder().prompt("a lighthouse").steps(2).frames(9).size(64, 64).guidance(6)
                .dynamicCfg(true).maxSequenceLength(16).build();
        Tensor a = pipeline.generate(unset, NoiseSource.of(new TorchGenerator(7)), RunContext.NONE);
        Tensor b = pipeline.generate(explicit, NoiseSource.of(new TorchGenerator(7)), RunContext.NONE);
        assertThat(a.shape()).containsExactly(1, 9, 3, 64, 64);
        assertThat(a.data()).containsExactly(b.data());
        Tensor other = pipeline.generate(explicit.toBuilder().dynamicCfg(false).build(), NoiseSource.of(new TorchGenerator(7)), RunContext.NONE);
        assertThat(other.data()).as("the dynamic scale changes the video, so the default was used").isNotEqualTo(a.data());
    }
}
