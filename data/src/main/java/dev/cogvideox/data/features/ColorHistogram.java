package dev.cogvideox.data.features;

import dev.cogvideox.io.video.RgbImage;

/** A frame's joint RGB histogram, 4 levels per channel (64 bins), normalised to sum 1, over a grid of sampled pixels. */
public record ColorHistogram(double[] bins) {
    private static final int SAMPLES_PER_SIDE = 96;

    public static ColorHistogram of(RgbImage image) {
        double[] bins = new double[64];
        int sx = Math.max(1, image.width() / SAMPLES_PER_SIDE), sy = Math.max(1, image.height() / SAMPLES_PER_SIDE);
        byte[] px = image.pixels();
        int n = 0;
        for (int y = sy / 2; y < image.height(); y += sy) {
            for (int x = sx / 2; x < image.width(); x += sx) {
                int i = (y * image.width() + x) * 3;
                bins[((px[i] & 0xff) >> 6) * 16 + ((px[i + 1] & 0xff) >> 6) * 4 + ((px[i + 2] & 0xff) >> 6)]++;
                n++;
            }
        }
        for (int b = 0; b < 64; b++) {
            bins[b] /= n;
        }
        return new ColorHistogram(bins);
    }

    /** Total-variation distance to {@code other}: 0 for the same colours, 1 for colours that share no bin. */
    public double distance(ColorHistogram other) {
        double d = 0;
        for (int b = 0; b < 64; b++) {
            d += Math.abs(bins[b] - other.bins[b]);
        }
        return d / 2;
    }
}
