package dev.cogvideox.world.eval;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * The scores of a group of videos (held-out or seen combinations): the fraction of videos whose detected colour,
 * shape, direction, and all three match the prompt, the fraction with a shape found at all, and the mean flicker
 * figures (see {@link dev.cogvideox.world.detect.ClipDetection}). Fractions and means are NaN for an empty group.
 */
public record GroupScore(int videos, double colour, double shape, double direction, double allThree, double found,
                         double backgroundFlicker, double areaFlicker) {
    public static GroupScore of(List<VideoScore> scores) {
        return new GroupScore(scores.size(), rate(scores, VideoScore::colourRight), rate(scores, VideoScore::shapeRight),
                rate(scores, VideoScore::directionRight), rate(scores, VideoScore::allRight), rate(scores, VideoScore::shapeFound),
                mean(scores, s -> s.detected().backgroundFlicker()), mean(scores, s -> s.detected().areaFlicker()));
    }

    private static double rate(List<VideoScore> scores, Predicate<VideoScore> right) {
        return scores.isEmpty() ? Double.NaN : scores.stream().filter(right).count() / (double) scores.size();
    }

    private static double mean(List<VideoScore> scores, ToDoubleFunction<VideoScore> value) {
        return scores.stream().mapToDouble(value).average().orElse(Double.NaN);
    }
}
