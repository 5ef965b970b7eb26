package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/** nn.Linear backward: dx, dW, db against finite differences, at an awkward size (x [3, 5, 13], W [6, 13]). */
class LinearGradTest {
    private static final int M = 15, K = 13, N = 6;

    /** {@code y = x W^T + b} in double. */
    private static double[] linear(double[] x, double[] w, double[] b) {
        double[] y = new double[M * N];
        for (int m = 0; m < M; m++) {
            for (int n = 0; n < N; n++) {
                double s = b[n];
                for (int k = 0; k < K; k++) {
                    s += x[m * K + k] * w[n * K + k];
                }
                y[m * N + n] = s;
            }
        }
        return y;
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(11);
        Tensor x = randn(rng, 3, 5, K), w = randn(rng, N, K), b = randn(rng, N), dy = randn(rng, 3, 5, N);
        double[] xd = toDouble(x), wd = toDouble(w), bd = toDouble(b);
        assertForward("linear", Kernels.JAVA.linear(x, Weight.of("w", w), Weight.of("b", b)), linear(xd, wd, bd));

        assertGradient("dx", LinearGrad.inputGrad(Kernels.JAVA, dy, w), numeric(v -> linear(v, wd, bd), xd, dy));
        assertGradient("dW", LinearGrad.weightGrad(Kernels.JAVA, x, dy), numeric(v -> linear(xd, v, bd), wd, dy));
        assertGradient("db", LinearGrad.biasGrad(dy), numeric(v -> linear(xd, wd, v), bd, dy));
    }
}
