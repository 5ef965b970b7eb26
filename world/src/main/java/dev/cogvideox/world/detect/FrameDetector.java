package dev.cogvideox.world.detect;

import dev.cogvideox.world.Background;
import dev.cogvideox.world.Colour;
import dev.cogvideox.world.Shape;

import java.util.Arrays;

/**
 * Finds the world's shape in one RGB frame, using only what the world guarantees: a plain background (so the
 * border's per-channel median is its colour), one filled shape whose colour is far from it, upright shapes.
 * <ol>
 *   <li>Foreground: pixels farther than {@value #FOREGROUND_DISTANCE} (8-bit RGB units) from the background colour;
 *       half the smallest distance between a shape colour and a background (purple on gray, 122).</li>
 *   <li>The shape: the largest 4-connected foreground region, if it has at least {@value #MIN_AREA_FRACTION} of the
 *       frame's pixels (and at least {@value #MIN_AREA} pixels) and at least half of all foreground pixels, and the
 *       foreground is at most {@value #MAX_FOREGROUND_FRACTION} of the frame (the world's largest shape, a square of 62% of the side, covers 38%;
 *       a drawn one a little larger must still count):
 *       a frame of noise or of scattered blobs shows no shape.</li>
 *   <li>Its colour: the per-channel median of its interior pixels (all four neighbours in the region, which skips
 *       anti-aliased edges), then the nearest {@link Colour}.</li>
 *   <li>Its class: the nearest of the ideal (fill, asymmetry) points: square (1, 0), circle (pi/4, 0), triangle (1/2,
 *       1/2) (see {@link Blob}).</li>
 * </ol>
 */
public final class FrameDetector {
    static final double FOREGROUND_DISTANCE = 60;
    static final double MIN_AREA_FRACTION = 0.002;
    static final int MIN_AREA = 4;
    static final double MAX_FOREGROUND_FRACTION = 0.6;
    private static final double[][] PROTOTYPES = {{Math.PI / 4, 0}, {1, 0}, {0.5, 0.5}}; // Shape order: circle, square, triangle

    private FrameDetector() {
    }

    /**
     * Frame {@code index} of {@code data}, which holds frames as {@code [F, 3, H, W]} floats in [0, 1].
     */
    public static FrameDetection detect(float[] data, int index, int height, int width) {
        int plane = height * width, base = index * 3 * plane;
        double[] bg = borderMedian(data, base, height, width);
        boolean[] fg = new boolean[plane];
        int foreground = 0;
        for (int i = 0; i < plane; i++) {
            double r = 255 * data[base + i], g = 255 * data[base + plane + i], b = 255 * data[base + 2 * plane + i];
            double dr = r - bg[0], dg = g - bg[1], db = b - bg[2];
            fg[i] = dr * dr + dg * dg + db * db > FOREGROUND_DISTANCE * FOREGROUND_DISTANCE;
            foreground += fg[i] ? 1 : 0;
        }
        Background background = Background.nearest(bg[0], bg[1], bg[2]);
        int[] region = largestRegion(fg, height, width);
        boolean shape = region.length >= Math.max(MIN_AREA, MIN_AREA_FRACTION * plane) && 2 * region.length >= foreground
                && foreground <= MAX_FOREGROUND_FRACTION * plane;
        Blob blob = shape ? blob(data, base, height, width, region) : null;
        return new FrameDetection(background, bg[0], bg[1], bg[2], fg, blob);
    }

    private static double[] borderMedian(float[] data, int base, int height, int width) {
        int plane = height * width;
        int n = 2 * width + 2 * (height - 2);
        double[] out = new double[3];
        float[] values = new float[n];
        for (int c = 0; c < 3; c++) {
            int k = 0, from = base + c * plane;
            for (int x = 0; x < width; x++) {
                values[k++] = data[from + x];
                values[k++] = data[from + (height - 1) * width + x];
            }
            for (int y = 1; y < height - 1; y++) {
                values[k++] = data[from + y * width];
                values[k++] = data[from + y * width + width - 1];
            }
            out[c] = 255 * median(values, n);
        }
        return out;
    }

    /** The pixel indices of the largest 4-connected region of {@code mask} (the first found on a tie). */
    static int[] largestRegion(boolean[] mask, int height, int width) {
        int[] label = new int[mask.length];
        int[] stack = new int[mask.length];
        int bestLabel = 0, bestSize = 0, next = 0;
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || label[start] != 0) {
                continue;
            }
            next++;
            int size = 0, top = 0;
            stack[top++] = start;
            label[start] = next;
            while (top > 0) {
                int p = stack[--top];
                size++;
                int x = p % width, y = p / width;
                if (x > 0 && mask[p - 1] && label[p - 1] == 0) {
                    label[p - 1] = next;
                    stack[top++] = p - 1;
                }
                if (x < width - 1 && mask[p + 1] && label[p + 1] == 0) {
                    label[p + 1] = next;
                    stack[top++] = p + 1;
                }
                if (y > 0 && mask[p - width] && label[p - width] == 0) {
                    label[p - width] = next;
                    stack[top++] = p - width;
                }
                if (y < height - 1 && mask[p + width] && label[p + width] == 0) {
                    label[p + width] = next;
                    stack[top++] = p + width;
                }
            }
            if (size > bestSize) {
                bestSize = size;
                bestLabel = next;
            }
        }
        int[] out = new int[bestSize];
        for (int p = 0, k = 0; p < mask.length && k < bestSize; p++) {
            if (label[p] == bestLabel && bestLabel != 0) {
                out[k++] = p;
            }
        }
        return out;
    }

    private static Blob blob(float[] data, int base, int height, int width, int[] region) {
        int plane = height * width;
        boolean[] in = new boolean[plane];
        double sx = 0, sy = 0;
        int minX = width, maxX = -1, minY = height, maxY = -1;
        for (int p : region) {
            in[p] = true;
            int x = p % width, y = p / width;
            sx += x + 0.5;
            sy += y + 0.5;
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
            minY = Math.min(minY, y);
            maxY = Math.max(maxY, y);
        }
        int area = region.length, bw = maxX - minX + 1, bh = maxY - minY + 1;
        double fill = area / (double) (bw * bh);
        // rows above and below the box's middle; a middle row (odd height) counts half to each side
        double mid = (minY + maxY) / 2.0, upper = 0, lower = 0;
        int interior = 0;
        int[] inner = new int[area];
        for (int p : region) {
            int x = p % width, y = p / width;
            if (y < mid) {
                upper++;
            } else if (y > mid) {
                lower++;
            }
            if (x > 0 && x < width - 1 && y > 0 && y < height - 1 && in[p - 1] && in[p + 1] && in[p - width] && in[p + width]) {
                inner[interior++] = p;
            }
        }
        double asymmetry = Math.abs(lower - upper) / area;
        int[] colourPixels = interior > 0 ? Arrays.copyOf(inner, interior) : region;
        double[] rgb = new double[3];
        float[] values = new float[colourPixels.length];
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < colourPixels.length; k++) {
                values[k] = data[base + c * plane + colourPixels[k]];
            }
            rgb[c] = 255 * median(values, colourPixels.length);
        }
        Shape shape = null;
        double best = Double.POSITIVE_INFINITY;
        for (Shape s : Shape.values()) {
            double[] proto = PROTOTYPES[s.ordinal()];
            double d = Math.hypot(fill - proto[0], asymmetry - proto[1]);
            if (d < best) {
                best = d;
                shape = s;
            }
        }
        return new Blob(area, sx / area, sy / area, bw, bh, fill, asymmetry, rgb[0], rgb[1], rgb[2],
                Colour.nearest(rgb[0], rgb[1], rgb[2]), shape);
    }

    /** The median of the first {@code n} values (the mean of the middle two for even n); sorts them in place. */
    private static double median(float[] values, int n) {
        Arrays.sort(values, 0, n);
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + (double) values[n / 2]) / 2;
    }
}
