package dev.cogvideox.tensor;

/**
 * Group normalisation over {@code [N, C, *]} (statistics per sample and group of {@code C/G} channels over all
 * remaining positions, accumulated in double), with the two epilogues the 3D VAE always fuses into it: a
 * per-position scale and shift gathered from a coarser grid (SpatialNorm, arXiv 2209.09002) and SiLU.
 */
public final class GroupNorm {
    /**
     * Per-position {@code scale} and {@code shift} {@code [N, C, t, h, w]} read at {@code [frameIndex[T], rowIndex[H],
     * colIndex[W]]} for the normalised {@code [N, C, T, H, W]}: nearest-neighbour upsampling without materialising it.
     */
    public record Modulation(Tensor scale, Tensor shift, int[] frameIndex, int[] rowIndex, int[] colIndex) {
    }

    private GroupNorm() {
    }

    /**
     * {@code out = act(m(((x - mean) / sqrt(var + eps)) * weight[c] + bias[c]))} with {@code m(v) = v * scale + shift}
     * when {@code mod} is given and {@code act} SiLU when {@code silu}. {@code out} may be {@code x} (in place).
     *
     * @param x      {@code [N, C, *]}
     * @param weight {@code [C]}, may be null (no affine)
     * @param bias   {@code [C]}, may be null
     * @param mod    null, or a modulation for a rank-5 {@code x}
     * @param out    same shape as {@code x}
     */
    static void forward(Tensor x, int groups, Tensor weight, Tensor bias, float eps, Modulation mod, boolean silu, Tensor out) {
        int n = x.dim(0), c = x.dim(1);
        if (groups < 1 || c % groups != 0) {
            throw new IllegalArgumentException("group norm: " + c + " channels do not split into " + groups + " groups");
        }
        if (!x.sameShape(out)) {
            throw new IllegalArgumentException("group norm: output " + out + " does not match input " + x);
        }
        if (weight != null && weight.numel() != c || bias != null && bias.numel() != c) {
            throw new IllegalArgumentException("group norm: affine parameters do not have " + c + " entries");
        }
        if (mod != null) {
            checkModulation(x, mod);
        }
        int spatial = x.numel() / (n * c);
        int cpg = c / groups;
        float[] xd = x.data(), od = out.data();
        Parallel.forRange(n * groups, 1, (from, to) -> {
            for (int unit = from; unit < to; unit++) {
                int b = unit / groups;
                int c0 = (unit % groups) * cpg;
                int start = (b * c + c0) * spatial;
                int len = cpg * spatial;
                // 1. statistics of the group in double: mean, then the mean squared deviation (biased variance)
                double mean = Norms.mean(xd, start, len);
                double rstd = Norms.inverseStd(xd, start, len, mean, eps);
                // 2. per channel: y = x * a + s with a = rstd * w, s = b - mean * a, then the epilogues
                for (int ci = c0; ci < c0 + cpg; ci++) {
                    double a = weight == null ? rstd : rstd * weight.data()[ci];
                    float af = (float) a;
                    float sf = (float) ((bias == null ? 0 : bias.data()[ci]) - mean * a);
                    int off = (b * c + ci) * spatial;
                    for (int i = 0; i < spatial; i++) {
                        od[off + i] = xd[off + i] * af + sf;
                    }
                    if (mod != null) {
                        modulate(od, off, b, ci, x, mod);
                    }
                    if (silu) {
                        VectorMath.siluInPlace(od, off, off + spatial);
                    }
                }
            }
        });
    }

    /** {@code y[f, r, col] = y * scale[frameIndex[f], rowIndex[r], colIndex[col]] + shift[...]} over one channel plane. */
    private static void modulate(float[] y, int off, int b, int ci, Tensor x, Modulation mod) {
        int t = x.dim(2), h = x.dim(3), w = x.dim(4);
        Tensor s = mod.scale();
        int mc = s.dim(1), mt = s.dim(2), mh = s.dim(3), mw = s.dim(4);
        float[] sd = s.data(), td = mod.shift().data();
        int planeBase = (b * mc + ci) * mt;
        for (int f = 0; f < t; f++) {
            int frameBase = (planeBase + mod.frameIndex()[f]) * mh;
            for (int r = 0; r < h; r++) {
                int rowBase = (frameBase + mod.rowIndex()[r]) * mw;
                int o = off + (f * h + r) * w;
                for (int col = 0; col < w; col++) {
                    int src = rowBase + mod.colIndex()[col];
                    y[o + col] = y[o + col] * sd[src] + td[src];
                }
            }
        }
    }

    private static void checkModulation(Tensor x, Modulation mod) {
        if (x.rank() != 5 || !mod.scale().sameShape(mod.shift()) || mod.scale().rank() != 5
                || mod.scale().dim(0) != x.dim(0) || mod.scale().dim(1) != x.dim(1)
                || mod.frameIndex().length != x.dim(2) || mod.rowIndex().length != x.dim(3) || mod.colIndex().length != x.dim(4)) {
            throw new IllegalArgumentException("group norm: modulation " + mod.scale() + " / " + mod.shift() + " with index maps of "
                    + mod.frameIndex().length + "x" + mod.rowIndex().length + "x" + mod.colIndex().length + " does not fit input " + x);
        }
    }
}
