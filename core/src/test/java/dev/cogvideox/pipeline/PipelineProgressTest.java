package dev.cogvideox.pipeline;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.text.T5Config;
import dev.cogvideox.progress.RecordingListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Progress of the text encoder (per block) and inside a denoising step (per transformer block); cancellation between blocks. */
class PipelineProgressTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
    private static final CogVideoXPipeline PIPELINE = CogVideoXPipeline.load(MODEL);

    private static GenerationRequest request() {
        TorchGenerator g = new TorchGenerator(3);
        return GenerationRequest.builder().promptEmbeds(g.randn(1, 16, 32), g.randn(1, 16, 32))
                .frames(9).size(64, 64).steps(2).guidance(6).build();
    }

    @Test
    void everyBlockOfEveryStepIsReportedBeforeTheStep() {
        int layers = PIPELINE.transformerConfig().numLayers();
        RecordingListener r = new RecordingListener(null);
        PIPELINE.generate(request(), NoiseSource.of(new TorchGenerator(1)), RunContext.of(r, r.cancel));
        List<String> want = new ArrayList<>(List.of("denoising 2"));
        for (int step = 1; step <= 2; step++) {
            for (int b = 1; b <= layers; b++) {
                want.add("part " + b + "/" + layers);
            }
            want.add("done " + step);
        }
        want.add("end");
        assertThat(r.calls.subList(0, want.size())).containsExactlyElementsOf(want);
        assertThat(layers).isGreaterThan(1);
    }

    @Test
    void theTextEncoderReportsItsBlocksForThePromptAndTheNegativePrompt() {
        int layers = T5Config.read(MODEL.resolve("text_encoder/config.json")).numLayers();
        RecordingListener r = new RecordingListener(null);
        GenerationRequest req = GenerationRequest.builder().prompt("a lighthouse").frames(9).size(64, 64).steps(1).guidance(6)
                .maxSequenceLength(16).build();
        PIPELINE.generate(req, NoiseSource.of(new TorchGenerator(1)), RunContext.of(r, r.cancel));
        List<String> want = new ArrayList<>(List.of("encoding prompt " + 2 * layers));
        for (int b = 1; b <= 2 * layers; b++) {
            want.add("done " + b);
        }
        want.addAll(List.of("end", "denoising 1"));
        assertThat(r.calls.subList(0, want.size())).containsExactlyElementsOf(want);
    }

    @Test
    void cancellingDuringAStepStopsAtTheNextBlock() {
        RecordingListener r = new RecordingListener("part 1/" + PIPELINE.transformerConfig().numLayers());
        assertThatThrownBy(() -> PIPELINE.generate(request(), NoiseSource.of(new TorchGenerator(1)), RunContext.of(r, r.cancel)))
                .isInstanceOf(CancellationException.class);
        // No "done 1": the step stopped after its first block; the listener is told the task is over.
        assertThat(r.calls).containsExactly("denoising 2", "part 1/" + PIPELINE.transformerConfig().numLayers(), "end");
    }
}
