package dev.cogvideox.bench.sampling;

/**
 * Quality of a video against a reference video of the same shape, frames {@code [F, 3, H, W]} in [0, 1]: PSNR over
 * all pixels (peak 1), SSIM as the mean over non-overlapping 8x8 windows of each channel (Wang et al. 2004 with
 * uniform windows; C1 = 0.01^2, C2 = 0.03^2), and the temporal flicker: the mean absolute change from one frame to
 * the next, in 8-bit levels.
 */
final class FrameQuality {
    private FrameQuality() {
    }

    static double psnr(float[] a, float[] ref) {
        double se = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - ref[i];
            se += d * d;
        }
        double mse = se / a.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(1 / mse);
    }

    static double ssim(float[] a, float[] ref, int planes, int h, int w) {
        final double c1 = 1e-4, c2 = 9e-4;
        double sum = 0;
        long windows = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int y0 = 0; y0 + 8 <= h; y0 += 8) {
                for (int x0 = 0; x0 + 8 <= w; x0 += 8) {
                    double ma = 0, mb = 0;
                    for (int y = y0; y < y0 + 8; y++) {
                        for (int x = x0; x < x0 + 8; x++) {
                            ma += a[base + y * w + x];
                            mb += ref[base + y * w + x];
                        }
                    }
                    ma /= 64;
                    mb /= 64;
                    double va = 0, vb = 0, cov = 0;
                    for (int y = y0; y < y0 + 8; y++) {
                        for (int x = x0; x < x0 + 8; x++) {
                            double da = a[base + y * w + x] - ma, db = ref[base + y * w + x] - mb;
                            va += da * da;
                            vb += db * db;
                            cov += da * db;
                        }
                    }
                    va /= 63;
                    vb /= 63;
                    cov /= 63;
                    sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
                    windows++;
                }
            }
        }
        return sum / windows;
    }

    /** Mean |frame[f + 1] - frame[f]| in 8-bit levels; {@code perFrame} values per frame. */
    static double flicker(float[] v, int frames, int perFrame) {
        if (frames < 2) {
            return 0;
        }
        double sum = 0;
        for (int f = 0; f + 1 < frames; f++) {
            for (int i = 0; i < perFrame; i++) {
                sum += Math.abs(v[(f + 1) * perFrame + i] - v[f * perFrame + i]);
            }
        }
        return 255 * sum / ((double) (frames - 1) * perFrame);
    }
}
