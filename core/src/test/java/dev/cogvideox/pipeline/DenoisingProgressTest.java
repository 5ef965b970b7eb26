package dev.cogvideox.pipeline;

import dev.cogvideox.model.Taps;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.progress.ProgressUnit;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.random.TorchGenerator;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Progress inside a denoising step (one report per transformer block) and cancellation between blocks. */
class DenoisingProgressTest {
    private static final CogVideoXPipeline PIPELINE = CogVideoXPipeline.load(GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b"));

    private static GenerationRequest request() {
        TorchGenerator g = new TorchGenerator(3);
        return GenerationRequest.builder().promptEmbeds(g.randn(1, 16, 32), g.randn(1, 16, 32))
                .frames(9).size(64, 64).steps(2).guidance(6).build();
    }

    /** Records the calls as text; cancels the token at the given report. */
    private static final class Recorder implements ProgressListener {
        final List<String> calls = new ArrayList<>();
        final CancellationToken cancel = new CancellationToken();
        final String cancelAt;

        Recorder(String cancelAt) {
            this.cancelAt = cancelAt;
        }

        @Override
        public void onStart(String task, long total, ProgressUnit unit) {
            calls.add(task + " " + total);
        }

        @Override
        public void onProgress(long done) {
            calls.add("step " + done);
        }

        @Override
        public void onSubProgress(long done, long total) {
            String call = "block " + done + "/" + total;
            calls.add(call);
            if (call.equals(cancelAt)) {
                cancel.cancel();
            }
        }

        @Override
        public void onEnd() {
            calls.add("end");
        }
    }

    @Test
    void everyBlockOfEveryStepIsReportedBeforeTheStep() {
        int layers = PIPELINE.transformerConfig().numLayers();
        Recorder r = new Recorder("");
        PIPELINE.generate(request(), NoiseSource.of(new TorchGenerator(1)), r, r.cancel, Taps.NONE);
        List<String> want = new ArrayList<>(List.of("denoising 2"));
        for (int step = 1; step <= 2; step++) {
            for (int b = 1; b <= layers; b++) {
                want.add("block " + b + "/" + layers);
            }
            want.add("step " + step);
        }
        want.add("end");
        assertThat(r.calls.subList(0, want.size())).containsExactlyElementsOf(want);
        assertThat(layers).isGreaterThan(1);
    }

    @Test
    void cancellingDuringAStepStopsAtTheNextBlock() {
        Recorder r = new Recorder("block 1/" + PIPELINE.transformerConfig().numLayers());
        assertThatThrownBy(() -> PIPELINE.generate(request(), NoiseSource.of(new TorchGenerator(1)), r, r.cancel, Taps.NONE))
                .isInstanceOf(CancellationException.class);
        // No "step 1": the step stopped after its first block; the listener is told the task is over.
        assertThat(r.calls).containsExactly("denoising 2", "block 1/" + PIPELINE.transformerConfig().numLayers(), "end");
    }
}
