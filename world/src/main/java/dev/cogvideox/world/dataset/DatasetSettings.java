package dev.cogvideox.world.dataset;

import java.util.List;

/**
 * What a rendered dataset holds.
 *
 * @param clips        how many clips
 * @param seed         the run's seed: clip {@code i} depends on {@code (seed, i)} only
 * @param frames       the frame counts clips are drawn from (uniformly; several give Frame Pack mixed lengths)
 * @param heldOut      render the held-out combinations instead of the training ones (for measuring, never training)
 */
public record DatasetSettings(int clips, long seed, int width, int height, List<Integer> frames, double fps, boolean heldOut) {
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
    }
}
