package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.cogvideox.tensor.GradientCheck.*;

/** AdaLN modulation {@code n (1 + scale) + shift} and the gated residual {@code acc + gate y}, x [2, 7, 11], per-sample [2, 11]. */
class ModulationGradTest {
    private static final int B = 2, L = 7, C = 11;

    /** {@code x[b, l, c] * (offset + s[b, c]) + t[b, c]} in double (t may be null). */
    private static double[] affine(double[] x, double[] s, double offset, double[] t) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int bc = (i / (L * C)) * C + i % C;
            y[i] = x[i] * (offset + s[bc]) + (t == null ? 0 : t[bc]);
        }
        return y;
    }

    @Test
    void modulate() {
        SplittableRandom rng = new SplittableRandom(5);
        Tensor n = randn(rng, B, L, C), scale = randn(rng, B, C), shift = randn(rng, B, C), dz = randn(rng, B, L, C);
        double[] nd = toDouble(n), sd = toDouble(scale), td = toDouble(shift);
        Tensor z = n.copy();
        Ops.modulateInPlace(z, scale, shift);
        assertForward("modulate", z, affine(nd, sd, 1, td));

        ModulationGrad.Modulate g = ModulationGrad.modulate(n, scale, dz);
        assertGradient("dn", g.dn(), numeric(v -> affine(v, sd, 1, td), nd, dz));
        assertGradient("dscale", g.dscale(), numeric(v -> affine(nd, v, 1, td), sd, dz));
        assertGradient("dshift", g.dshift(), numeric(v -> affine(nd, sd, 1, v), td, dz));
    }

    @Test
    void gatedResidual() {
        SplittableRandom rng = new SplittableRandom(6);
        Tensor acc = randn(rng, B, L, C), gate = randn(rng, B, C), y = randn(rng, B, L, C), dOut = randn(rng, B, L, C);
        double[] ad = toDouble(acc), gd = toDouble(gate), yd = toDouble(y);
        Tensor out = acc.copy();
        Ops.addGatedInPlace(out, gate, y);
        double[] expected = affine(yd, gd, 0, null);
        for (int i = 0; i < expected.length; i++) {
            expected[i] += ad[i];
        }
        assertForward("gated residual", out, expected);

        ModulationGrad.Gated g = ModulationGrad.gated(gate, y, dOut);
        assertGradient("dy", g.dy(), numeric(v -> affine(v, gd, 0, null), yd, dOut));
        assertGradient("dgate", g.dgate(), numeric(v -> affine(yd, v, 0, null), gd, dOut));
    }
}
