package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;

/** Backward of the activations of {@link dev.cogvideox.tensor.Ops}: {@code dx = dy * f'(x)}, derivative in double. */
public final class ActivationGrad {
    /** sqrt(2/pi) and the cubic coefficient of the tanh approximation of GELU. */
    private static final double GELU_C = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;

    private ActivationGrad() {
    }

    @FunctionalInterface
    private interface Derivative {
        double at(double x);
    }

    private static Tensor chain(Tensor x, Tensor dy, Derivative f) {
        if (!x.sameShape(dy)) {
            throw new IllegalArgumentException("activation backward: input " + x + " and gradient " + dy + " differ");
        }
        Tensor dx = Tensor.zeros(x.shape());
        float[] xd = x.data(), gd = dy.data(), od = dx.data();
        Parallel.forRange(xd.length, 1 << 13, (from, to) -> {
            for (int i = from; i < to; i++) {
                od[i] = (float) (gd[i] * f.at(xd[i]));
            }
        });
        return dx;
    }

    /** SiLU {@code x * s(x)}: {@code d/dx = s(x) * (1 + x * (1 - s(x)))}. */
    public static Tensor silu(Tensor x, Tensor dy) {
        return chain(x, dy, v -> {
            double s = 1 / (1 + Math.exp(-v));
            return s * (1 + v * (1 - s));
        });
    }

    /**
     * GELU tanh {@code 0.5 x (1 + tanh(u))}, {@code u = c (x + a x^3)}:
     * {@code d/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) c (1 + 3 a x^2)}.
     */
    public static Tensor geluTanh(Tensor x, Tensor dy) {
        return chain(x, dy, v -> {
            double t = Math.tanh(GELU_C * (v + GELU_A * v * v * v));
            return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v * v);
        });
    }
}
