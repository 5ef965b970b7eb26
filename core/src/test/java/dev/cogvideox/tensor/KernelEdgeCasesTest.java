package dev.cogvideox.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/**
 * What {@link KernelCasesTest}'s twins over ordinary inputs do not reach in {@link Ops}, {@link Norms}, {@link Rope}
 * and {@link Layout}: extreme and degenerate values against float64 definitions (the activations' saturation, a
 * row of equal values, a large offset that float32 statistics would lose), RoPE with a real table as a rotation,
 * a partial range left alone, and the errors that name their shapes.
 */
class KernelEdgeCasesTest {
    private static Tensor randn(SplittableRandom rng, double scale, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) (rng.nextGaussian() * scale);
        }
        return t;
    }

    /** {@code |a - b| <= tol * (1 + |b|)} everywhere, and no NaN. */
    private static void assertClose(String what, float[] actual, double[] expected, double tol) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
                throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", float64 gives " + expected[i]);
            }
        }
    }

    @Test
    void activationsSaturateWithoutNaNAtExtremeInputs() {
        float[] v = {-1e30f, -500f, -88.7f, -20f, -1e-30f, 0f, -0f, 1e-30f, 20f, 88.7f, 500f, 1e30f};
        Tensor x = Tensor.of(v.clone(), v.length);
        double[] silu = new double[v.length], gelu = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double d = v[i];
            // the definitions, written where they do not overflow in float64 either
            silu[i] = d >= 0 ? d / (1 + Math.exp(-d)) : d * Math.exp(d) / (1 + Math.exp(d));
            double u = Math.sqrt(2 / Math.PI) * (d + 0.044715 * d * d * d);
            gelu[i] = Double.isInfinite(u) ? (u > 0 ? d : 0) : 0.5 * d * (1 + Math.tanh(u));
        }
        assertClose("silu", Ops.silu(x).data(), silu, 1e-6);
        assertClose("gelu", Ops.geluTanh(x).data(), gelu, 1e-6);
    }

    @Test
    void geluInPlaceLeavesTheElementsPastItsRangeAlone() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int n : new int[]{0, 1, 7, 33, 100}) {
            float[] d = randn(rng, 2, 101).data();
            float[] before = d.clone();
            Ops.geluTanhInPlace(d, n);
            for (int i = 0; i < d.length; i++) {
                double x = before[i];
                double want = i < n ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))) : x;
                assertThat((double) d[i]).as("n = %d, element %d", n, i).isCloseTo(want, offset(1e-6 * (1 + Math.abs(want))));
            }
        }
    }

    @Test
    void normsOfAConstantRowAreTheBiasAndOfAFarOffsetRowKeepTheirSpread() {
        int c = 48;
        SplittableRandom rng = new SplittableRandom(5);
        Tensor w = randn(rng, 1, c), b = randn(rng, 1, c);
        Tensor flat = Tensor.zeros(2, c);
        for (int i = 0; i < c; i++) {
            flat.data()[i] = 7.25f;                                                   // row 0: zero variance
            flat.data()[c + i] = 4096f + (i % 2 == 0 ? 0.5f : -0.5f);                 // row 1: spread 0.5 on top of 4096
        }
        Tensor y = Norms.layerNorm(flat, w, b, 1e-5f);
        double[] want = new double[2 * c];
        for (int i = 0; i < c; i++) {
            want[i] = b.data()[i];
            double v = flat.data()[c + i];
            want[c + i] = (v - 4096) / Math.sqrt(0.25 + 1e-5) * w.data()[i] + b.data()[i];
        }
        assertClose("layer norm", y.data(), want, 1e-5);
        assertThat(Norms.mean(flat.data(), c, c)).isEqualTo(4096.0);
        assertThat(Norms.inverseStd(flat.data(), c, c, 4096.0, 0)).isEqualTo(2.0);
        Tensor zeros = Tensor.zeros(1, c);
        assertClose("rms norm of zeros", Norms.rmsNorm(zeros, w, 1e-6f).data(), new double[c], 0);   // w * 0 / sqrt(eps), no NaN
    }

    @Test
    void ropeWithARealTableIsARotationAndItsTransposeUndoesIt() {
        int b = 2, l = 11, heads = 3, d = 8, start = 2, n = l - start;
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = randn(rng, 1, b, l, heads * d);
        Tensor cos = Tensor.zeros(n, d), sin = Tensor.zeros(n, d);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < d; i += 2) {
                double angle = (start + t) * Math.pow(10000, -(double) i / d);           // each frequency repeated for its pair
                cos.data()[t * d + i] = cos.data()[t * d + i + 1] = (float) Math.cos(angle);
                sin.data()[t * d + i] = sin.data()[t * d + i + 1] = (float) Math.sin(angle);
            }
        }
        Tensor y = x.copy();
        Rope.applyInPlace(y, heads, start, cos, sin);
        double[] rotated = new double[x.numel()];
        for (int i = 0; i < rotated.length; i++) {
            rotated[i] = x.data()[i];
        }
        for (int bb = 0; bb < b; bb++) {
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < d; i += 2) {
                        int o = ((bb * l + start + t) * heads + h) * d + i;
                        double angle = (start + t) * Math.pow(10000, -(double) i / d);
                        double x0 = x.data()[o], x1 = x.data()[o + 1];
                        rotated[o] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                        rotated[o + 1] = x1 * Math.cos(angle) + x0 * Math.sin(angle);
                        assertThat(Math.hypot(y.data()[o], y.data()[o + 1])).isCloseTo(Math.hypot(x0, x1),
                                offset(1e-5 * (1 + Math.hypot(x0, x1))));
                    }
                }
            }
        }
        assertClose("rope", y.data(), rotated, 1e-5);
        Rope.applyTransposedInPlace(y, heads, start, cos, sin);
        double[] original = new double[x.numel()];
        for (int i = 0; i < original.length; i++) {
            original[i] = x.data()[i];
        }
        assertClose("rope then its transpose", y.data(), original, 1e-5);
        assertThatThrownBy(() -> Rope.applyInPlace(x.copy(), heads, start + 1, cos, sin))
                .hasMessageContaining("rope table has " + n + " positions but only " + (n - 1) + " tokens follow position " + (start + 1));
    }

    @Test
    void shapeErrorsNameTheShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(3, 2);
        assertThatThrownBy(() -> Ops.add(a, b)).hasMessageContaining("add: shapes").hasMessageContaining("differ");
        assertThatThrownBy(() -> Ops.mul(a, b)).hasMessageContaining("mul: shapes");
        assertThatThrownBy(() -> Ops.addRowsInPlace(Tensor.zeros(1, 2, 3), Tensor.zeros(4))).hasMessageContaining("cannot broadcast");
        assertThatThrownBy(() -> Norms.layerNorm(a, Tensor.zeros(2), null, 1e-5f)).hasMessageContaining("layer norm weight has 2 elements")
                .hasMessageContaining("has 3");
        assertThatThrownBy(() -> Layout.narrow(a, 1, 2, 2)).hasMessageContaining("range [2, 4) outside [0, 3)");
        assertThatThrownBy(() -> Layout.cat(0, a, b)).hasMessageContaining("cat along dim 0");
        assertThatThrownBy(() -> Layout.permute(a, 1)).hasMessageContaining("permute order [1]");
        assertThatThrownBy(() -> Layout.blend(a, b, 1, 3)).hasMessageContaining("blend extent 3 exceeds");
        // negative dims count from the end, as torch's
        Tensor x = Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        assertThat(Layout.narrow(x, -1, 1, 2).data()).containsExactly(2, 3, 5, 6);
        assertThat(Layout.cat(-1, x, x).shape()).containsExactly(2, 6);
    }
}
