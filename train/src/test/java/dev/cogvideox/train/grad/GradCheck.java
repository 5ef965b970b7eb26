package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Tensor;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradient checks against central finite differences in double. Each op test gives a double twin of the forward
 * kernel (checked against the float kernel) and the float backward kernel under test; the scalar loss is the
 * projection {@code L = sum_i w_i f(x)_i} with a random {@code w}, so {@code dL/dy = w}.
 */
final class GradCheck {
    /** A forward function over flat double arrays. */
    @FunctionalInterface
    interface Fn {
        double[] apply(double[] x);
    }

    private GradCheck() {
    }

    static Tensor randn(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    static double[] toDouble(Tensor t) {
        double[] d = new double[t.numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.data()[i];
        }
        return d;
    }

    /** {@code dL/dx} for {@code L = w . f(x)}, by central differences with step {@code 1e-6 * max(1, |x_i|)}. */
    static double[] numeric(Fn f, double[] x, Tensor w) {
        double[] wd = toDouble(w);
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i], h = 1e-6 * Math.max(1, Math.abs(keep));
            x[i] = keep + h;
            double plus = dot(wd, f.apply(x));
            x[i] = keep - h;
            double minus = dot(wd, f.apply(x));
            x[i] = keep;
            g[i] = (plus - minus) / (2 * h);
        }
        return g;
    }

    /** Every element within {@code 1e-4 * max|expected| + 1e-4 * |expected|} (float32 kernels against a double FD). */
    static void assertGradient(String what, Tensor analytic, double[] expected) {
        assertThat(analytic.numel()).as(what + " size").isEqualTo(expected.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertThat(scale).as(what + ": a gradient check needs a non-zero gradient").isGreaterThan(1e-3);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) analytic.data()[i]).as("%s[%d]", what, i).isCloseTo(expected[i],
                    org.assertj.core.data.Offset.offset(1e-4 * scale + 1e-4 * Math.abs(expected[i])));
        }
    }

    /** The float kernel's forward agrees with its double twin (so the gradient checks test the right function). */
    static void assertForward(String what, Tensor kernel, double[] twin) {
        assertThat(kernel.numel()).isEqualTo(twin.length);
        for (int i = 0; i < twin.length; i++) {
            assertThat((double) kernel.data()[i]).as("%s forward[%d]", what, i)
                    .isCloseTo(twin[i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(twin[i]))));
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
