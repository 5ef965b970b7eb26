package dev.cogvideox.world.detect;

import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Direction;
import dev.cogvideox.world.Shape;

/**
 * What a clip shows, by {@link ClipDetector}. {@code colour}, {@code shape} and {@code direction} are null when the
 * detector could not tell (no shape in most frames, or a shape that does not move).
 *
 * @param framesFound       frames in which a shape was found
 * @param dx                the shape's displacement over the clip in pixels (the least-squares slope of its centroid
 *                          track times {@code frames - 1}); {@code dy} likewise, positive downwards
 * @param backgroundFlicker mean absolute change between consecutive frames of the pixels that are background in both
 *                          (8-bit units, mean over channels, pixels and frame pairs): 0 for a rendered clip
 * @param areaFlicker       mean absolute change of the shape's area between consecutive frames, over its mean area
 */
public record ClipDetection(Background background, Colour colour, Shape shape, Direction direction, int frames, int framesFound,
                            double dx, double dy, double backgroundFlicker, double areaFlicker) {
}
