package dev.cogvideox.tensor;

/**
 * Double-precision twins of the VAE's forward kernels, written as plainly as the definitions, for finite-difference
 * checks. Volumes are flat {@code [N, C, T, H, W]} arrays.
 */
public final class DoubleTwins {
    private DoubleTwins() {
    }

    /** A volume's sizes. */
    public record Dims(int n, int c, int t, int h, int w) {
        public int numel() {
            return n * c * t * h * w;
        }

        public int at(int b, int ch, int f, int y, int x) {
            return (((b * c + ch) * t + f) * h + y) * w + x;
        }
    }

    /**
     * {@link Conv3d#forward} over the already time-padded input {@code p} (front ++ x), weight {@code [Cout, Cin, kt,
     * kh, kw]}, bias may be null; returns the output and its dims through {@code outDims[0]}.
     */
    public static double[] conv(double[] p, Dims in, double[] w, int cout, int kt, int kh, int kw, double[] bias,
                                Conv3d.Geometry g, Dims[] outDims) {
        int to = in.t() - kt + 1;
        int ho = (in.h() + g.padTop() + g.padBottom() - kh) / g.strideH() + 1;
        int wo = (in.w() + g.padLeft() + g.padRight() - kw) / g.strideW() + 1;
        Dims od = new Dims(in.n(), cout, to, ho, wo);
        outDims[0] = od;
        double[] out = new double[od.numel()];
        for (int b = 0; b < in.n(); b++) {
            for (int co = 0; co < cout; co++) {
                for (int t = 0; t < to; t++) {
                    for (int y = 0; y < ho; y++) {
                        for (int x = 0; x < wo; x++) {
                            double s = bias == null ? 0 : bias[co];
                            for (int ci = 0; ci < in.c(); ci++) {
                                for (int dt = 0; dt < kt; dt++) {
                                    for (int dh = 0; dh < kh; dh++) {
                                        int yy = y * g.strideH() + dh - g.padTop();
                                        if (yy < 0 || yy >= in.h()) {
                                            continue;
                                        }
                                        for (int dw = 0; dw < kw; dw++) {
                                            int xx = x * g.strideW() + dw - g.padLeft();
                                            if (xx < 0 || xx >= in.w()) {
                                                continue;
                                            }
                                            s += w[(((co * in.c() + ci) * kt + dt) * kh + dh) * kw + dw] * p[in.at(b, ci, t + dt, yy, xx)];
                                        }
                                    }
                                }
                            }
                            out[od.at(b, co, t, y, x)] = s;
                        }
                    }
                }
            }
        }
        return out;
    }

    /** {@code front ++ x} along time, {@code front} being {@code k} copies of frame 0 (the causal "first" padding). */
    public static double[] padFirst(double[] x, Dims d, int k, Dims[] padded) {
        Dims pd = new Dims(d.n(), d.c(), d.t() + k, d.h(), d.w());
        padded[0] = pd;
        double[] p = new double[pd.numel()];
        for (int b = 0; b < d.n(); b++) {
            for (int c = 0; c < d.c(); c++) {
                for (int f = 0; f < pd.t(); f++) {
                    int src = Math.max(0, f - k);
                    for (int y = 0; y < d.h(); y++) {
                        for (int x0 = 0; x0 < d.w(); x0++) {
                            p[pd.at(b, c, f, y, x0)] = x[d.at(b, c, src, y, x0)];
                        }
                    }
                }
            }
        }
        return p;
    }

    /**
     * {@link GroupNorm#forward}: weight/bias may be null; {@code scale}/{@code shift} (coarse dims {@code md}) with
     * index maps, or null; SiLU when {@code silu}.
     */
    public static double[] groupNorm(double[] x, Dims d, int groups, double[] weight, double[] bias, double eps,
                                     double[] scale, double[] shift, Dims md, int[] fi, int[] ri, int[] ci, boolean silu) {
        double[] y = new double[x.length];
        int cpg = d.c() / groups, spatial = d.t() * d.h() * d.w();
        for (int b = 0; b < d.n(); b++) {
            for (int g = 0; g < groups; g++) {
                int start = (b * d.c() + g * cpg) * spatial, len = cpg * spatial;
                double mean = 0, var = 0;
                for (int i = start; i < start + len; i++) {
                    mean += x[i] / len;
                }
                for (int i = start; i < start + len; i++) {
                    var += (x[i] - mean) * (x[i] - mean) / len;
                }
                for (int c = g * cpg; c < (g + 1) * cpg; c++) {
                    for (int f = 0; f < d.t(); f++) {
                        for (int r = 0; r < d.h(); r++) {
                            for (int col = 0; col < d.w(); col++) {
                                int i = d.at(b, c, f, r, col);
                                double v = (x[i] - mean) / Math.sqrt(var + eps);
                                if (weight != null) {
                                    v = v * weight[c] + bias[c];
                                }
                                if (scale != null) {
                                    int m = md.at(b, c, fi[f], ri[r], ci[col]);
                                    v = v * scale[m] + shift[m];
                                }
                                y[i] = silu ? v / (1 + Math.exp(-v)) : v;
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    /** {@link Resample#gather}. */
    public static double[] gather(double[] x, Dims d, int[] frames, int[] rows, int[] cols) {
        Dims od = new Dims(d.n(), d.c(), frames.length, rows.length, cols.length);
        double[] y = new double[od.numel()];
        for (int b = 0; b < d.n(); b++) {
            for (int c = 0; c < d.c(); c++) {
                for (int f = 0; f < frames.length; f++) {
                    for (int r = 0; r < rows.length; r++) {
                        for (int col = 0; col < cols.length; col++) {
                            y[od.at(b, c, f, r, col)] = x[d.at(b, c, frames[f], rows[r], cols[col])];
                        }
                    }
                }
            }
        }
        return y;
    }

    /** {@link Resample#temporalAvgPool}. */
    public static double[] temporalAvgPool(double[] x, Dims d) {
        int keep = d.t() % 2, to = keep + (d.t() - keep) / 2;
        Dims od = new Dims(d.n(), d.c(), to, d.h(), d.w());
        double[] y = new double[od.numel()];
        for (int b = 0; b < d.n(); b++) {
            for (int c = 0; c < d.c(); c++) {
                for (int f = 0; f < to; f++) {
                    for (int r = 0; r < d.h(); r++) {
                        for (int col = 0; col < d.w(); col++) {
                            y[od.at(b, c, f, r, col)] = f < keep ? x[d.at(b, c, 0, r, col)]
                                    : (x[d.at(b, c, keep + 2 * (f - keep), r, col)] + x[d.at(b, c, keep + 2 * (f - keep) + 1, r, col)]) / 2;
                        }
                    }
                }
            }
        }
        return y;
    }
}
