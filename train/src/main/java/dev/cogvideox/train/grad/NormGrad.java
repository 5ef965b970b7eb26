package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Norms;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;

/**
 * Backward of {@link dev.cogvideox.tensor.Kernels#layerNorm} over the last dimension, with or without the
 * elementwise affine. The statistics are recomputed from the input in double, like the forward kernel.
 */
public final class NormGrad {
    private NormGrad() {
    }

    /** Gradients of one layer norm: dx like x, dw and db {@code [C]} (null without affine). */
    public record Grads(Tensor dx, Tensor dw, Tensor db) {
    }

    /**
     * With {@code xhat = (x - mean) * rstd} and {@code y = xhat * w + b}:
     * {@code dx = rstd * (g - mean(g) - xhat * mean(g * xhat))} for {@code g = dy * w},
     * {@code dw = sum_rows dy * xhat}, {@code db = sum_rows dy}.
     *
     * @param w the affine weight {@code [C]}, or null (then no dw/db)
     */
    public static Grads layerNorm(Tensor x, Tensor w, float eps, Tensor dy) {
        if (!x.sameShape(dy)) {
            throw new IllegalArgumentException("layer norm backward: input " + x + " and gradient " + dy + " differ");
        }
        int c = x.dim(-1), rows = x.numel() / c;
        Tensor dx = Tensor.zeros(x.shape());
        Tensor xhat = Tensor.zeros(rows, c);
        float[] xd = x.data(), gd = dy.data(), dxd = dx.data(), hd = xhat.data();
        float[] wd = w == null ? null : w.data();
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * c;
                double mean = Norms.mean(xd, off, c);
                double rstd = Norms.inverseStd(xd, off, c, mean, eps);
                double gSum = 0, gxSum = 0;
                for (int i = 0; i < c; i++) {
                    double xh = (xd[off + i] - mean) * rstd;
                    double g = wd == null ? gd[off + i] : (double) gd[off + i] * wd[i];
                    hd[off + i] = (float) xh;
                    gSum += g;
                    gxSum += g * xh;
                }
                double gMean = gSum / c, gxMean = gxSum / c;
                for (int i = 0; i < c; i++) {
                    double g = wd == null ? gd[off + i] : (double) gd[off + i] * wd[i];
                    dxd[off + i] = (float) (rstd * (g - gMean - hd[off + i] * gxMean));
                }
            }
        });
        if (w == null) {
            return new Grads(dx, null, null);
        }
        Tensor dyRows = dy.reshape(1, rows, c);
        Tensor dw = Reduce.sumTokens(dyRows, xhat.reshape(1, rows, c)).reshape(c);
        Tensor db = Reduce.sumTokens(dyRows, null).reshape(c);
        return new Grads(dx, dw, db);
    }
}
