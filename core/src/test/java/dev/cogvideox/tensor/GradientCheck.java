package dev.cogvideox.tensor;

import java.util.SplittableRandom;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finite-difference checks in double for the backward kernels and the VAE modules' backward passes: a double twin of
 * the forward (checked against the float forward) and the float backward under test. The scalar loss is the
 * projection {@code L = sum_i p_i f(x)_i} with a random {@code p}, so {@code dL/dout = p}.
 */
public final class GradientCheck {
    private GradientCheck() {
    }

    public static Tensor randn(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    public static double[] toDouble(Tensor t) {
        double[] d = new double[t.numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.data()[i];
        }
        return d;
    }

    /** {@code dL/dx} of {@code L = p . f(x)} by central differences, step {@code 1e-6 * max(1, |x_i|)}; x restored. */
    public static double[] numeric(Function<double[], double[]> f, double[] x, Tensor p) {
        double[] pd = toDouble(p);
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i], h = 1e-6 * Math.max(1, Math.abs(keep));
            x[i] = keep + h;
            double plus = dot(pd, f.apply(x));
            x[i] = keep - h;
            double minus = dot(pd, f.apply(x));
            x[i] = keep;
            g[i] = (plus - minus) / (2 * h);
        }
        return g;
    }

    /** Every element within {@code tol * max|expected| + tol * |expected|}, and the gradient not all zero. */
    public static void assertGradient(String what, Tensor analytic, double[] expected, double tol) {
        assertThat(analytic).as(what + " was not computed").isNotNull();
        assertThat(analytic.numel()).as(what + " size").isEqualTo(expected.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertThat(scale).as(what + ": a gradient check needs a non-zero gradient").isGreaterThan(1e-3);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) analytic.data()[i]).as("%s[%d]", what, i)
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tol * scale + tol * Math.abs(expected[i])));
        }
    }

    public static void assertGradient(String what, Tensor analytic, double[] expected) {
        assertGradient(what, analytic, expected, 1e-4);
    }

    /** The float forward agrees with its double twin (so the checks test the right function). */
    public static void assertForward(String what, Tensor kernel, double[] twin) {
        assertThat(kernel.numel()).as(what + " size").isEqualTo(twin.length);
        for (int i = 0; i < twin.length; i++) {
            assertThat((double) kernel.data()[i]).as("%s forward[%d]", what, i)
                    .isCloseTo(twin[i], org.assertj.core.data.Offset.offset(2e-5 * (1 + Math.abs(twin[i]))));
        }
    }

    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
