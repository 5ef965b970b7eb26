package dev.cogvideox.serve;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The progress a job shows: counts as the pipeline reports them, a fraction that only grows, an ETA from the stage's rate. */
class LiveProgressTest {
    @Test
    void stagesStepsBlocksFramesAndTimeLeft() {
        long[] now = {1_000};
        int[] changes = {0};
        LiveProgress p = new LiveProgress(() -> now[0], 49, () -> changes[0]++);
        p.onStart("encoding prompt", 24);
        p.onProgress(24);
        assertThat(p.fraction()).isCloseTo(0.05, within(1e-9));
        now[0] += 1_000;
        p.onStart("denoising", 10);
        now[0] += 4_000;                                 // 4 s for 2 steps and half a step
        p.onProgress(2);
        p.onSubProgress(21, 42);
        Map<String, Object> s = p.snapshot();
        assertThat(s).containsEntry("stage", "denoising").containsEntry("step", 2L).containsEntry("steps", 10L)
                .containsEntry("block", 21L).containsEntry("blocks", 42L).containsEntry("framesDecoded", 0).containsEntry("framesTotal", 49);
        // 2.5 of 10 steps: 0.05 + 0.8 * 0.25
        assertThat((double) s.get("fraction")).isCloseTo(0.25, within(1e-3));
        // 4 s for a quarter: 12 s of steps left, and the decoding at 0.2 of the 16 s of denoising
        assertThat((double) s.get("etaSeconds")).isCloseTo(12 + 0.2 * 16, within(0.05));
        assertThat((double) s.get("elapsedSeconds")).isCloseTo(5.0, within(1e-9));
        double before = p.fraction();
        p.onStart("decoding", 4);
        p.framesDecoded(16);
        p.onProgress(1);
        assertThat(p.fraction()).isGreaterThanOrEqualTo(before);
        p.onProgress(4);
        assertThat(p.fraction()).isCloseTo(1.0, within(1e-9));
        assertThat(p.snapshot()).containsEntry("framesDecoded", 16).doesNotContainKey("step");
        assertThat(changes[0]).isEqualTo(9);
    }
}
