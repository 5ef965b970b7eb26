package dev.cogvideox.data.features;

import dev.cogvideox.io.video.RgbImage;

/**
 * A frame's luma (BT.601 weights) in [0, 1], box-downsampled to at most a given width: what every feature is measured
 * on, so that they do not depend on the source resolution (beyond it being at least that wide).
 */
public record Gray(int width, int height, float[] v) {
    /** {@code image}'s luma, downsampled by an integer factor so that it is at most {@code maxWidth} wide. */
    public static Gray of(RgbImage image, int maxWidth) {
        int f = Math.max(1, (image.width() + maxWidth - 1) / maxWidth);
        int w = image.width() / f, h = Math.max(1, image.height() / f);
        w = Math.max(1, w);
        float[] out = new float[w * h];
        byte[] px = image.pixels();
        float norm = 1f / (255f * f * f);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float sum = 0;
                for (int dy = 0; dy < f; dy++) {
                    int row = ((y * f + dy) * image.width() + x * f) * 3;
                    for (int dx = 0; dx < f; dx++) {
                        int i = row + dx * 3;
                        sum += 0.299f * (px[i] & 0xff) + 0.587f * (px[i + 1] & 0xff) + 0.114f * (px[i + 2] & 0xff);
                    }
                }
                out[y * w + x] = sum * norm;
            }
        }
        return new Gray(w, h, out);
    }

    public float at(int x, int y) {
        return v[y * width + x];
    }

    /** Mean of |this - other| over the pixels (same size). */
    public double meanAbsDiff(Gray other) {
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            s += Math.abs(v[i] - other.v[i]);
        }
        return s / v.length;
    }

    /** Fraction of pixels that differ from {@code other}'s (same size) by more than {@code threshold}. */
    public double changedFraction(Gray other, double threshold) {
        int n = 0;
        for (int i = 0; i < v.length; i++) {
            if (Math.abs(v[i] - other.v[i]) > threshold) {
                n++;
            }
        }
        return (double) n / v.length;
    }

    public double mean() {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Fraction of pixels at the ends of the range (below 2/255 or above 253/255): crushed blacks and blown highlights. */
    public double clippedFraction() {
        int n = 0;
        for (float x : v) {
            if (x < 2f / 255 || x > 253f / 255) {
                n++;
            }
        }
        return (double) n / v.length;
    }

    /**
     * Sharpness: the variance of the 4-neighbour Laplacian over the interior ({@code 4p - up - down - left - right}),
     * the usual focus measure; a blurred frame has little high-frequency energy and a small value.
     */
    public double laplacianVariance() {
        if (width < 3 || height < 3) {
            return 0;
        }
        double s = 0, s2 = 0;
        int n = 0;
        for (int y = 1; y < height - 1; y++) {
            for (int x = 1; x < width - 1; x++) {
                int i = y * width + x;
                double l = 4 * v[i] - v[i - 1] - v[i + 1] - v[i - width] - v[i + width];
                s += l;
                s2 += l * l;
                n++;
            }
        }
        double mean = s / n;
        return s2 / n - mean * mean;
    }
}
