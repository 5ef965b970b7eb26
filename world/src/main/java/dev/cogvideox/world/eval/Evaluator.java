package dev.cogvideox.world.eval;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.world.detect.ClipDetection;
import dev.cogvideox.world.detect.ClipDetector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Makes a video for every prompt and seed ({@code 0 .. seeds-1}), runs the detector on it and scores it against the
 * prompt. Videos are made in the order prompt by prompt, seed by seed.
 */
public final class Evaluator {
    private Evaluator() {
    }

    /**
     * @param settings what is being evaluated, copied into the report
     * @param onVideo  called after each video (for progress) with its score, its 1-based number, the total and the video
     */
    public static EvalReport run(List<EvalPrompt> prompts, int seeds, VideoSource source, Map<String, Object> settings,
                                 VideoListener onVideo, CancellationToken cancel) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompt to evaluate");
        }
        if (seeds < 1) {
            throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
        }
        List<VideoScore> scores = new ArrayList<>();
        int total = prompts.size() * seeds;
        for (EvalPrompt p : prompts) {
            for (int seed = 0; seed < seeds; seed++) {
                cancel.throwIfCancelled();
                long start = System.nanoTime();
                Tensor video = source.video(p.prompt(), seed, cancel);
                double seconds = (System.nanoTime() - start) / 1e9;
                ClipDetection d = ClipDetector.detect(video);
                VideoScore score = new VideoScore(p, seed, d, seconds);
                scores.add(score);
                onVideo.done(score, scores.size(), total, video);
            }
        }
        return new EvalReport(settings, scores);
    }

    /** Hears of each video as it is scored. */
    @FunctionalInterface
    public interface VideoListener {
        VideoListener NONE = (score, number, total, video) -> {
        };

        void done(VideoScore score, int number, int total, Tensor video);
    }

    /** A listener printing one line per video: {@code [3/112] a red circle ... seed 2: colour red ok, ...}. */
    public static VideoListener lines(Consumer<String> out) {
        return (s, number, total, video) -> out.accept(line(s, number, total));
    }

    static String line(VideoScore s, int number, int total) {
        ClipDetection d = s.detected();
        return String.format(java.util.Locale.ROOT, "[%d/%d] %s, seed %d (%s): colour %s, shape %s, direction %s%s (%.1f s)", number, total,
                s.prompt().prompt(), s.seed(), s.prompt().heldOut() ? "held-out" : "seen",
                mark(d.colour() == null ? null : d.colour().word(), s.colourRight()),
                mark(d.shape() == null ? null : d.shape().word(), s.shapeRight()),
                mark(d.direction() == null ? null : d.direction().word(), s.directionRight()),
                s.allRight() ? ": all right" : "", s.seconds());
    }

    private static String mark(String got, boolean right) {
        return (got == null ? "none" : got) + (right ? " (right)" : " (wrong)");
    }
}
