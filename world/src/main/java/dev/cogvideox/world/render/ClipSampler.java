package dev.cogvideox.world.render;

import dev.cogvideox.world.Combination;
import dev.cogvideox.world.Direction;

import java.util.SplittableRandom;

/**
 * Draws the free parameters of a clip: the shape's size (50% to 62% of the shorter side), its speed, and where it
 * starts. The shape crosses the frame: over {@value #REFERENCE_STEPS} frame steps it travels 60% to 95% of the room
 * the frame leaves along its direction, starting at a uniform point of what room is left behind it, so a shape
 * moving right starts on the left and ends on the right. The direction thus decides where the shape is in every
 * frame, not only how it moves between frames (with the shape starting anywhere, the mean of a clip over its start
 * positions, which is all a denoiser can predict from pure noise, hardly depends on the direction). The speed does
 * not depend on the clip's length, so a 9-frame clip moves as fast as a 17-frame one, for half the distance, as the
 * first 9 frames of a 17-frame clip do; a clip longer than {@value #REFERENCE_STEPS} + 1 frames is slowed to fit.
 */
public final class ClipSampler {
    static final double MIN_SIZE = 0.50, MAX_SIZE = 0.62, MIN_CROSSING = 0.60, MAX_CROSSING = 0.95;
    static final int REFERENCE_STEPS = 16;

    private ClipSampler() {
    }

    /** A clip of {@code combination}, {@code width x height x frames}, its path drawn from {@code random}. */
    public static ClipSpec sample(Combination combination, int width, int height, int frames, SplittableRandom random) {
        if (width < 16 || height < 16 || frames < 2) {
            throw new IllegalArgumentException("a clip needs at least 16x16 pixels and 2 frames, got " + width + "x" + height + "x" + frames);
        }
        int shorter = Math.min(width, height);
        double size = uniform(random, MIN_SIZE * shorter, MAX_SIZE * shorter);
        Direction d = combination.direction();
        int along = d.horizontal() ? width : height, across = d.horizontal() ? height : width;
        double room = 0.999 * (along - size);     // a hair under the limit, so rounding never leaves the frame
        int steps = Math.max(REFERENCE_STEPS, frames - 1);
        double crossing = uniform(random, MIN_CROSSING, MAX_CROSSING) * room; // the distance covered in `steps` steps
        double speed = crossing / steps;
        // the centre's start along the motion, for the direction of increasing coordinate; mirrored for the other
        double start = uniform(random, size / 2, size / 2 + room - crossing);
        if (d.dx() < 0 || d.dy() < 0) {
            start = along - start;
        }
        double side = uniform(random, size / 2, across - size / 2);
        return d.horizontal()
                ? new ClipSpec(combination, width, height, frames, size, start, side, speed)
                : new ClipSpec(combination, width, height, frames, size, side, start, speed);
    }

    private static double uniform(SplittableRandom random, double lo, double hi) {
        return hi <= lo ? lo : lo + (hi - lo) * random.nextDouble();
    }

    /**
     * An independent stream for item {@code index} of a run seeded with {@code seed}, so that any item can be made
     * again alone (murmur3's 64-bit finaliser over the pair).
     */
    public static SplittableRandom stream(long seed, long index) {
        long h = seed * 0x9E3779B97F4A7C15L + index;
        h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
        h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return new SplittableRandom(h ^ (h >>> 33));
    }
}
