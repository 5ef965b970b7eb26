package dev.cogvideox.world.render;

import dev.cogvideox.world.Combination;

/**
 * Everything that fixes a clip's pixels: what it shows, its size, and the shape's path. Coordinates are in pixels
 * with the origin at the top-left corner of the frame (pixel {@code (x, y)} covers {@code [x, x+1) x [y, y+1)}).
 *
 * @param size  the side of the shape's bounding box (circle diameter, square side, triangle base and height)
 * @param x0    the bounding box's centre in frame 0
 * @param y0    likewise
 * @param speed pixels per frame along {@code combination.direction()}
 */
public record ClipSpec(Combination combination, int width, int height, int frames, double size, double x0, double y0, double speed) {
    public ClipSpec {
        if (width < 16 || height < 16 || frames < 2) {
            throw new IllegalArgumentException("a clip needs at least 16x16 pixels and 2 frames, got " + width + "x" + height + "x" + frames);
        }
        if (!(size >= 4) || !(speed >= 0)) {
            throw new IllegalArgumentException("shape size must be >= 4 px and speed >= 0, got " + size + " and " + speed);
        }
        for (int f : new int[]{0, frames - 1}) {
            double x = x0 + f * speed * combination.direction().dx(), y = y0 + f * speed * combination.direction().dy();
            if (x - size / 2 < 0 || x + size / 2 > width || y - size / 2 < 0 || y + size / 2 > height) {
                throw new IllegalArgumentException("the " + combination.shape().word() + " leaves the " + width + "x" + height
                        + " frame at frame " + f + " (centre " + x + ", " + y + ", size " + size + ")");
            }
        }
    }

    /** The bounding box's centre x in frame {@code f}. */
    public double x(int f) {
        return x0 + f * speed * combination.direction().dx();
    }

    /** The bounding box's centre y in frame {@code f}. */
    public double y(int f) {
        return y0 + f * speed * combination.direction().dy();
    }
}
