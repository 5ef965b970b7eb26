package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward of the activations of {@link dev.cogvideox.tensor.Ops}: {@code dx = dy * f'(x)}; SiLU's derivative in
 * double, GELU's (the transformer's feed-forward, where the time goes) vectorised in fp32.
 */
public final class ActivationGrad {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
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
        if (!x.sameShape(dy)) {
            throw new IllegalArgumentException("activation backward: input " + x + " and gradient " + dy + " differ");
        }
        Tensor dx = Tensor.zeros(x.shape());
        float[] xd = x.data(), gd = dy.data(), od = dx.data();
        // vectorised: tanh u = 1 - 2 / (1 + e^(2u)), e^(2u) one exp2; within about 1e-7 of Math.tanh
        float c = (float) GELU_C, a = (float) GELU_A;
        Parallel.forRange(xd.length, 1 << 13, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
                geluSlope(FloatVector.fromArray(S, xd, i), c, a).mul(FloatVector.fromArray(S, gd, i)).intoArray(od, i);
            }
            if (i < to) {
                VectorMask<Float> m = S.indexInRange(i, to);
                geluSlope(FloatVector.fromArray(S, xd, i, m), c, a).mul(FloatVector.fromArray(S, gd, i, m)).intoArray(od, i, m);
            }
        });
        return dx;
    }

    private static FloatVector geluSlope(FloatVector v, float c, float a) {
        FloatVector v2 = v.mul(v);
        FloatVector u = v.mul(v2.mul(a).add(1f)).mul(c);
        FloatVector t = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(VectorMath.onePlusExp2(u.mul(2 * VectorMath.LOG2E))));
        return t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(c).mul(v2.mul(3 * a).add(1f)));
    }
}
