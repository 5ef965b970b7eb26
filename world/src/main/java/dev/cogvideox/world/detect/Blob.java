package dev.cogvideox.world.detect;

import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Shape;

/**
 * The shape found in one frame: the largest connected region of foreground pixels.
 *
 * @param area        pixels in the region
 * @param cx          centroid x in pixels from the frame's left edge (pixel centres at {@code x + 0.5})
 * @param cy          centroid y, from the top edge
 * @param fill        area over the area of the region's bounding box: 1 for a square, pi/4 for a circle, 1/2 for a triangle
 * @param asymmetry   |pixels in the lower half of the bounding box - pixels in the upper half| / area: 0 for a circle
 *                    or a square, 1/2 for a triangle
 * @param red         the region's colour (per-channel median of its interior pixels; with green and blue), 8-bit units
 * @param colour      the palette colour nearest to the region's colour
 * @param shape       the shape whose (fill, asymmetry) is nearest
 */
public record Blob(int area, double cx, double cy, int boxWidth, int boxHeight, double fill, double asymmetry,
                   double red, double green, double blue, Colour colour, Shape shape) {
}
