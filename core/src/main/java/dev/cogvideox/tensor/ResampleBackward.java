package dev.cogvideox.tensor;

/** Gradients of {@link Resample}'s gathers (nearest resizes) and temporal average pooling: their adjoints. */
public final class ResampleBackward {
    private ResampleBackward() {
    }

    /**
     * The adjoint of {@link Resample#gather}: {@code dx[n, c, frames[f], rows[r], cols[col]] += g[n, c, f, r, col]},
     * {@code g [N, C, |frames|, |rows|, |cols|] -> [N, C, t, h, w]}.
     */
    public static Tensor gather(Tensor g, int[] frames, int[] rows, int[] cols, int t, int h, int w) {
        if (g.rank() != 5 || g.dim(2) != frames.length || g.dim(3) != rows.length || g.dim(4) != cols.length) {
            throw new IllegalArgumentException("gather backward: gradient " + g + " does not fit index maps of "
                    + frames.length + "x" + rows.length + "x" + cols.length);
        }
        int nc = g.dim(0) * g.dim(1), to = frames.length, ho = rows.length, wo = cols.length;
        Tensor dx = Tensor.zeros(g.dim(0), g.dim(1), t, h, w);
        float[] gd = g.data(), dd = dx.data();
        Parallel.forRange(nc, 1, (from, end) -> {                          // one plane per task: no two write one element
            for (int plane = from; plane < end; plane++) {
                for (int f = 0; f < to; f++) {
                    int src = (plane * to + f) * ho * wo;
                    int dst = (plane * t + frames[f]) * h * w;
                    for (int r = 0; r < ho; r++) {
                        int drow = dst + rows[r] * w;
                        for (int col = 0; col < wo; col++) {
                            dd[drow + cols[col]] += gd[src++];
                        }
                    }
                }
            }
        });
        return dx;
    }

    /**
     * The adjoint of {@link Resample#temporalAvgPool} for an input of {@code t} frames: frame 0 of an odd count takes
     * its gradient whole, each averaged pair half of its output's.
     */
    public static Tensor temporalAvgPool(Tensor g, int t) {
        int keep = t % 2;
        if (g.rank() != 5 || g.dim(2) != keep + (t - keep) / 2) {
            throw new IllegalArgumentException("temporal average pool backward: gradient " + g + " does not come from " + t + " frames");
        }
        int nc = g.dim(0) * g.dim(1), to = g.dim(2), hw = g.dim(3) * g.dim(4);
        Tensor dx = Tensor.zeros(g.dim(0), g.dim(1), t, g.dim(3), g.dim(4));
        float[] gd = g.data(), dd = dx.data();
        Parallel.forRange(nc * to, 4, (from, end) -> {
            for (int u = from; u < end; u++) {
                int plane = u / to, f = u % to;
                int src = u * hw;
                if (f < keep) {
                    System.arraycopy(gd, src, dd, plane * t * hw, hw);
                    continue;
                }
                int a = (plane * t + keep + 2 * (f - keep)) * hw;
                for (int i = 0; i < hw; i++) {
                    float half = gd[src + i] / 2f;
                    dd[a + i] = half;
                    dd[a + hw + i] = half;
                }
            }
        });
        return dx;
    }
}
