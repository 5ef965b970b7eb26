package dev.cogvideox.world.dataset;

import dev.cogvideox.world.Combination;
import dev.cogvideox.world.CombinationPattern;
import dev.cogvideox.world.HeldOut;

import java.util.List;

/**
 * What a rendered dataset holds.
 *
 * @param clips        how many clips
 * @param seed         the run's seed: clip {@code i} depends on {@code (seed, i)} only
 * @param frames       the frame counts clips are drawn from (uniformly; several give Frame Pack mixed lengths)
 * @param heldOut      render the held-out combinations instead of the training ones (for measuring, never training)
 * @param only         only the combinations of the pool that match (e.g. a curriculum's first stage)
 * @param canonical    every caption the canonical prompt (no rewording)
 */
public record DatasetSettings(int clips, long seed, int width, int height, List<Integer> frames, double fps, boolean heldOut,
                              CombinationPattern only, boolean canonical) {
    /** Every combination of the pool, captions reworded as {@code Captions} draws them. */
    public DatasetSettings(int clips, long seed, int width, int height, List<Integer> frames, double fps, boolean heldOut) {
        this(clips, seed, width, height, frames, fps, heldOut, CombinationPattern.ANY, false);
    }

    public DatasetSettings {
        if (clips < 1) {
            throw new IllegalArgumentException("--clips must be at least 1, got " + clips);
        }
        if (width < 16 || height < 16 || width % 16 != 0 || height % 16 != 0) {
            throw new IllegalArgumentException("--width " + width + " --height " + height
                    + ": both must be multiples of 16 of at least 16 (the VAE divides by 8, the transformer's patches by 2 more)");
        }
        frames = List.copyOf(frames);
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("--frames: give at least one frame count");
        }
        for (int f : frames) {
            if (f < 5 || (f - 1) % 4 != 0) {
                throw new IllegalArgumentException("--frames " + f + ": the VAE takes 4k+1 frames and the trainer at least 5 (5, 9, 13, 17, ...)");
            }
        }
        if (!(fps > 0 && fps <= 120)) {
            throw new IllegalArgumentException("--fps must be in (0, 120], got " + fps);
        }
        if (only == null) {
            throw new IllegalArgumentException("only: give CombinationPattern.ANY for every combination");
        }
        if (only.filter(pool(heldOut)).isEmpty()) {
            throw new IllegalArgumentException("--only '" + only + "' matches none of the " + (heldOut ? "held-out" : "seen")
                    + " combinations" + (heldOut ? "" : " (a held-out combination is never rendered for training)"));
        }
    }

    /** The combinations clips are drawn from, in a fixed order. */
    public List<Combination> combinations() {
        return only.filter(pool(heldOut));
    }

    private static List<Combination> pool(boolean heldOut) {
        return heldOut ? HeldOut.combinations() : HeldOut.seen();
    }
}
