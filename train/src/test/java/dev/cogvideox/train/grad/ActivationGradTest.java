package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import static dev.cogvideox.tensor.GradientCheck.*;

/** SiLU and tanh-GELU backward, at an awkward size (207) with inputs spread over [-6, 6]. */
class ActivationGradTest {
    private static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.applyAsDouble(x[i]);
        }
        return y;
    }

    private static Tensor spread(SplittableRandom rng) {
        Tensor x = randn(rng, 207);
        for (int i = 0; i < x.numel(); i++) {
            x.data()[i] *= 2.5f;
        }
        return x;
    }

    @Test
    void silu() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = spread(rng), dy = randn(rng, 207);
        DoubleUnaryOperator f = v -> v / (1 + Math.exp(-v));
        assertForward("silu", Ops.silu(x), map(toDouble(x), f));
        assertGradient("silu dx", ActivationGrad.silu(x, dy), numeric(v -> map(v, f), toDouble(x), dy));
    }

    @Test
    void geluTanh() {
        SplittableRandom rng = new SplittableRandom(4);
        Tensor x = spread(rng), dy = randn(rng, 207);
        DoubleUnaryOperator f = v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        assertForward("gelu", Ops.geluTanh(x), map(toDouble(x), f));
        assertGradient("gelu dx", ActivationGrad.geluTanh(x, dy), numeric(v -> map(v, f), toDouble(x), dy));
    }
}
