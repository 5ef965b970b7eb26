package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Rope;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/**
 * RoPE backward on tokens [3, 7) of x [2, 7, 2*8] (the text tokens before them untouched), with a general table
 * (the two entries of a pair differ, so the test tells the transposed map from the inverse rotation).
 */
class RopeGradTest {
    private static final int B = 2, L = 7, H = 2, D = 8, START = 3, S = 4;

    private static double[] rope(double[] x, double[] cos, double[] sin) {
        double[] y = x.clone();
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < S; t++) {
                for (int h = 0; h < H; h++) {
                    int o = (b * L + START + t) * H * D + h * D;
                    for (int i = 0; i < D; i += 2) {
                        int tab = t * D + i;
                        y[o + i] = x[o + i] * cos[tab] - x[o + i + 1] * sin[tab];
                        y[o + i + 1] = x[o + i + 1] * cos[tab + 1] + x[o + i] * sin[tab + 1];
                    }
                }
            }
        }
        return y;
    }

    @Test
    void gradientIsTheTransposedRotation() {
        SplittableRandom rng = new SplittableRandom(7);
        Tensor x = randn(rng, B, L, H * D), cos = randn(rng, S, D), sin = randn(rng, S, D), dy = randn(rng, B, L, H * D);
        double[] cd = toDouble(cos), sd = toDouble(sin);
        Tensor y = x.copy();
        Rope.applyInPlace(y, H, START, cos, sin);
        assertForward("rope", y, rope(toDouble(x), cd, sd));

        Tensor dx = dy.copy();
        Rope.applyTransposedInPlace(dx, H, START, cos, sin);
        assertGradient("dx", dx, numeric(v -> rope(v, cd, sd), toDouble(x), dy));
    }
}
