package dev.cogvideox.tensor;

/**
 * The gradient of {@link GroupNorm#forward} with its epilogues: {@code out = act(m(xhat * weight[c] + bias[c]))},
 * {@code xhat = (x - mean) * rstd} over each group, {@code m(a) = a * scale[i(p)] + shift[i(p)]} read through the
 * modulation's index maps (nearest upsampling), {@code act} SiLU or the identity.
 *
 * <p>Per group, with {@code ga = dL/da}: {@code dweight[c] = sum ga * xhat}, {@code dbias[c] = sum ga},
 * {@code gx = ga * weight[c]} and {@code dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat))} (means over the
 * group). The modulation's gradients are summed back onto the coarse grid (the adjoint of the gather):
 * {@code dscale[i] += dL/dm * a}, {@code dshift[i] += dL/dm}. The statistics are recomputed from {@code x} exactly
 * as the forward computes them, so only the input needs keeping.
 */
public final class GroupNormBackward {
    /**
     * The gradients; {@code dWeight}/{@code dBias} null without affine, {@code dScale}/{@code dShift} null without
     * modulation (else of the modulation's coarse shape).
     */
    public record Grads(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dScale, Tensor dShift) {
    }

    private GroupNormBackward() {
    }

    /** Arguments as for {@link GroupNorm#forward} (the forward's input {@code x}, not its output) and {@code g = dL/dout}. */
    static Grads backward(Tensor x, int groups, Tensor weight, Tensor bias, float eps, GroupNorm.Modulation mod, boolean silu, Tensor g) {
        if (!x.sameShape(g)) {
            throw new IllegalArgumentException("group norm backward: gradient " + g + " does not match input " + x);
        }
        int n = x.dim(0), c = x.dim(1);
        int spatial = x.numel() / (n * c);
        int cpg = c / groups;
        Tensor dx = Tensor.zeros(x.shape());
        Tensor dw = weight == null ? null : Tensor.zeros(c), db = weight == null ? null : Tensor.zeros(c);
        Tensor ds = mod == null ? null : Tensor.zeros(mod.scale().shape()), dsh = mod == null ? null : Tensor.zeros(mod.shift().shape());
        float[] xd = x.data(), gd = g.data(), dxd = dx.data();
        // parallel over groups only: a group's channels own their dweight, dbias and coarse modulation rows in every sample
        Parallel.forRange(groups, 1, (from, to) -> {
            float[] a = new float[spatial];
            for (int grp = from; grp < to; grp++) {
                int c0 = grp * cpg;
                for (int b = 0; b < n; b++) {
                    int start = (b * c + c0) * spatial;
                    double mean = Norms.mean(xd, start, cpg * spatial);
                    double rstd = Norms.inverseStd(xd, start, cpg * spatial, mean, eps);
                    double sumG = 0, sumGX = 0;
                    for (int ci = c0; ci < c0 + cpg; ci++) {
                        double wc = weight == null ? 1 : weight.data()[ci];
                        float af = (float) (rstd * wc);
                        float sf = (float) ((bias == null ? 0 : bias.data()[ci]) - mean * rstd * wc);
                        int off = (b * c + ci) * spatial;
                        // 1. a = xhat * w + b as the forward rounds it, then dL/da through act and the modulation
                        for (int i = 0; i < spatial; i++) {
                            a[i] = xd[off + i] * af + sf;
                        }
                        double dwc = 0, dbc = 0;
                        for (int i = 0; i < spatial; i++) {
                            dxd[off + i] = gd[off + i];                       // dL/dout, turned into dL/da below
                        }
                        if (mod != null) {
                            modulationBackward(dxd, off, a, b, ci, x, mod, silu, ds, dsh);
                        } else if (silu) {
                            for (int i = 0; i < spatial; i++) {
                                dxd[off + i] *= dsilu(a[i]);
                            }
                        }
                        // 2. affine: dweight, dbias, and gx = ga * w kept in dx for the group's second pass
                        for (int i = 0; i < spatial; i++) {
                            double ga = dxd[off + i];
                            double xhat = (xd[off + i] - mean) * rstd;
                            dwc += ga * xhat;
                            dbc += ga;
                            double gx = ga * wc;
                            sumG += gx;
                            sumGX += gx * xhat;
                            dxd[off + i] = (float) gx;
                        }
                        if (dw != null) {
                            dw.data()[ci] += (float) dwc;
                            db.data()[ci] += (float) dbc;
                        }
                    }
                    // 3. dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat))
                    double count = (double) cpg * spatial;
                    double meanG = sumG / count, meanGX = sumGX / count;
                    for (int i = start; i < start + cpg * spatial; i++) {
                        double xhat = (xd[i] - mean) * rstd;
                        dxd[i] = (float) (rstd * (dxd[i] - meanG - xhat * meanGX));
                    }
                }
            }
        });
        return new Grads(dx, dw, db, ds, dsh);
    }

    /**
     * Over one channel plane holding {@code dL/dout}: {@code m = a * scale + shift}, {@code dL/dm} (through SiLU),
     * summed onto the coarse {@code dscale}/{@code dshift}; leaves {@code dL/da = dL/dm * scale} in place.
     */
    private static void modulationBackward(float[] g, int off, float[] a, int b, int ci, Tensor x, GroupNorm.Modulation mod,
                                           boolean silu, Tensor dScale, Tensor dShift) {
        int t = x.dim(2), h = x.dim(3), w = x.dim(4);
        Tensor s = mod.scale();
        int mc = s.dim(1), mt = s.dim(2), mh = s.dim(3), mw = s.dim(4);
        float[] sd = s.data(), td = mod.shift().data(), dsd = dScale.data(), dtd = dShift.data();
        int planeBase = (b * mc + ci) * mt;
        int i = 0;
        for (int f = 0; f < t; f++) {
            int frameBase = (planeBase + mod.frameIndex()[f]) * mh;
            for (int r = 0; r < h; r++) {
                int rowBase = (frameBase + mod.rowIndex()[r]) * mw;
                for (int col = 0; col < w; col++, i++) {
                    int src = rowBase + mod.colIndex()[col];
                    float m = a[i] * sd[src] + td[src];
                    double gm = silu ? g[off + i] * dsilu(m) : g[off + i];
                    dsd[src] += (float) (gm * a[i]);
                    dtd[src] += (float) gm;
                    g[off + i] = (float) (gm * sd[src]);
                }
            }
        }
    }

    /** {@code d silu(v) / dv = sigmoid(v) * (1 + v * (1 - sigmoid(v)))}. */
    static double dsilu(double v) {
        double sig = 1 / (1 + Math.exp(-v));
        return sig * (1 + v * (1 - sig));
    }
}
