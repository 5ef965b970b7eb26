package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/** LayerNorm backward with and without the affine, on the block's [B, L, C] and the per-head [B, L, H, D] shapes. */
class NormGradTest {
    private static final float EPS = 1e-5f;

    /** LayerNorm over the last dimension {@code c} in double; w and b may be null. */
    private static double[] layerNorm(double[] x, double[] w, double[] b, int c) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < c; i++) {
                mean += x[r * c + i] / c;
            }
            for (int i = 0; i < c; i++) {
                var += (x[r * c + i] - mean) * (x[r * c + i] - mean) / c;
            }
            for (int i = 0; i < c; i++) {
                double v = (x[r * c + i] - mean) / Math.sqrt(var + EPS);
                y[r * c + i] = w == null ? v : v * w[i] + b[i];
            }
        }
        return y;
    }

    private static void check(int... shape) {
        SplittableRandom rng = new SplittableRandom(shape.length * 31L + shape[shape.length - 1]);
        int c = shape[shape.length - 1];
        Tensor x = randn(rng, shape), dy = randn(rng, shape), w = randn(rng, c), b = randn(rng, c);
        double[] xd = toDouble(x), wd = toDouble(w), bd = toDouble(b);
        assertForward("layer norm", Kernels.JAVA.layerNorm(x, w, b, EPS), layerNorm(xd, wd, bd, c));

        NormGrad.Grads g = NormGrad.layerNorm(x, w, EPS, dy);
        assertGradient("dx", g.dx(), numeric(v -> layerNorm(v, wd, bd, c), xd, dy));
        assertGradient("dw", g.dw(), numeric(v -> layerNorm(xd, v, bd, c), wd, dy));
        assertGradient("db", g.db(), numeric(v -> layerNorm(xd, wd, v, c), bd, dy));

        NormGrad.Grads plain = NormGrad.layerNorm(x, null, EPS, dy);
        assertGradient("dx without affine", plain.dx(), numeric(v -> layerNorm(v, null, null, c), xd, dy));
    }

    @Test
    void blockLayerNorm() {
        check(2, 5, 13);
    }

    @Test
    void perHeadLayerNorm() {
        check(2, 3, 2, 8);
    }
}
