package dev.cogvideox.world.detect;

import dev.cogvideox.world.Background;

/**
 * What one frame shows.
 *
 * @param background  the nearest {@link Background} to the border's median colour
 * @param foreground  per pixel (row-major), whether it differs from the border's colour by more than the threshold
 * @param blob        the largest foreground region, or null when there is none of a usable size
 */
public record FrameDetection(Background background, double bgRed, double bgGreen, double bgBlue, boolean[] foreground, Blob blob) {
}
