package dev.cogvideox.tensor;

/**
 * Normalisations over the last dimension (layer norm, RMS norm). Statistics are accumulated in double,
 * which sits closer to the float64 reference than fp32 pairwise sums do.
 */
public final class Norms {
    private Norms() {
    }

    /**
     * Mean of {@code x[off, off + len)}, summed in double: four interleaved partial sums (element i into sum i mod 4),
     * added pairwise at the end, so the additions are four independent chains instead of one (a row of 128 took as
     * long as its 128 dependent additions).
     */
    public static double mean(float[] x, int off, int len) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            s0 += x[off + i];
            s1 += x[off + i + 1];
            s2 += x[off + i + 2];
            s3 += x[off + i + 3];
        }
        for (; i < len; i++) {
            s0 += x[off + i];
        }
        return ((s0 + s1) + (s2 + s3)) / len;
    }

    /**
     * {@code 1 / sqrt(var + eps)} of {@code x[off, off + len)} around {@code mean}, the biased variance in double
     * (four partial sums as {@link #mean}).
     */
    public static double inverseStd(float[] x, int off, int len, double mean, double eps) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            double d0 = x[off + i] - mean, d1 = x[off + i + 1] - mean, d2 = x[off + i + 2] - mean, d3 = x[off + i + 3] - mean;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < len; i++) {
            double d = x[off + i] - mean;
            s0 += d * d;
        }
        return 1.0 / Math.sqrt(((s0 + s1) + (s2 + s3)) / len + eps);
    }

    /**
     * LayerNorm over the last dimension: {@code (x - mean) / sqrt(var + eps) * w + b}; {@code w} and {@code b}
     * may be null (no affine). Returns a new tensor.
     */
    static Tensor layerNorm(Tensor x, Tensor w, Tensor b, float eps) {
        int c = x.dim(-1);
        checkAffine(w, c, "layer norm weight");
        checkAffine(b, c, "layer norm bias");
        Tensor y = Tensor.zeros(x.shape());
        float[] xd = x.data(), yd = y.data();
        float[] wd = w == null ? null : w.data(), bd = b == null ? null : b.data();
        int rows = x.numel() / c;
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * c;
                double mean = mean(xd, off, c);
                float inv = (float) inverseStd(xd, off, c, mean, eps);
                float m = (float) mean;
                for (int i = 0; i < c; i++) {
                    float v = (xd[off + i] - m) * inv;
                    if (wd != null) {
                        v *= wd[i];
                    }
                    if (bd != null) {
                        v += bd[i];
                    }
                    yd[off + i] = v;
                }
            }
        });
        return y;
    }

    /** T5's RMS norm over the last dimension: {@code w * x / sqrt(mean(x^2) + eps)}, no mean subtraction, no bias. */
    static Tensor rmsNorm(Tensor x, Tensor w, float eps) {
        int c = x.dim(-1);
        checkAffine(w, c, "RMS norm weight");
        Tensor y = Tensor.zeros(x.shape());
        float[] xd = x.data(), yd = y.data(), wd = w.data();
        int rows = x.numel() / c;
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * c;
                double sq = 0;
                for (int i = 0; i < c; i++) {
                    sq += (double) xd[off + i] * xd[off + i];
                }
                float inv = (float) (1.0 / Math.sqrt(sq / c + eps));
                for (int i = 0; i < c; i++) {
                    yd[off + i] = wd[i] * (xd[off + i] * inv);
                }
            }
        });
        return y;
    }

    private static void checkAffine(Tensor t, int c, String what) {
        if (t != null && t.numel() != c) {
            throw new IllegalArgumentException(what + " has " + t.numel() + " elements, the normalised dimension has " + c);
        }
    }
}
