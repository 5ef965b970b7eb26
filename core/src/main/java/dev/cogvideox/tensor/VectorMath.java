package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorised elementary functions, accurate to about 2 ulp in fp32. */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** log2(e): {@code exp(x) = exp2(x * LOG2E)}. */
    public static final float LOG2E = 1.4426950408889634f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final int MINUS_127_BITS = Float.floatToRawIntBits(-127f);
    // Cephes exp2f: 2^f = 1 + f * P(f) on [-0.5, 0.5], relative error below 2e-7.
    private static final float P0 = 1.535336188319500e-4f;
    private static final float P1 = 1.339887440266574e-3f;
    private static final float P2 = 9.618437357674640e-3f;
    private static final float P3 = 5.550332471162809e-2f;
    private static final float P4 = 2.402264791363012e-1f;
    private static final float P5 = 6.931472028550421e-1f;

    private VectorMath() {
    }

    /**
     * {@code 2^x} for {@code x <= 128}; results below 2^-126 (including {@code x = -inf}) are flushed to zero.
     * Range reduction {@code x = n + f} with n the nearest integer, then {@code 2^n} is built in the exponent bits.
     */
    public static FloatVector exp2(FloatVector x) {
        // Clamp x >= -127 with one unsigned integer min: negative floats order by magnitude as unsigned bits,
        // above every non-negative float (FloatVector.max follows Math.max's NaN and -0 rules: 5 instructions).
        FloatVector xc = x.reinterpretAsInts().lanewise(VectorOperators.UMIN, MINUS_127_BITS).reinterpretAsFloats();
        FloatVector t = xc.add(ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector f = xc.sub(n);
        FloatVector p = f.fma(P0, P1);
        p = p.fma(f, FloatVector.broadcast(S, P2));
        p = p.fma(f, FloatVector.broadcast(S, P3));
        p = p.fma(f, FloatVector.broadcast(S, P4));
        p = p.fma(f, FloatVector.broadcast(S, P5));
        p = p.fma(f, FloatVector.broadcast(S, 1f));
        // bits(t) = ROUND_BITS + n, so (bits(t) - ROUND_BITS + 127) << 23 is 2^n (zero for n = -127).
        IntVector e = t.reinterpretAsInts().add(127 - ROUND_BITS).lanewise(VectorOperators.LSHL, 23);
        return p.mul(e.reinterpretAsFloats());
    }

    /** {@code 1 + 2^x}, with x clamped to at most 127 (beyond it the quotients it divides are zero in fp32 anyway). */
    public static FloatVector onePlusExp2(FloatVector x) {
        return exp2(x.blend(127f, x.compare(VectorOperators.GT, 127f))).add(1f);
    }

    /**
     * SiLU {@code x / (1 + e^-x)} of {@code d[from, to)} in place, vectorised; the tail through the same lanes under a
     * mask. The fp32 product {@code x * log2 e} adds about {@code |x| / 2} ulp to exp2's error (4 ulp at |x| = 8).
     */
    static void siluInPlace(float[] d, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, d, i);
            v.div(onePlusExp2(v.mul(-LOG2E))).intoArray(d, i);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            FloatVector v = FloatVector.fromArray(S, d, i, m);
            v.div(onePlusExp2(v.mul(-LOG2E))).intoArray(d, i, m);
        }
    }

    /**
     * A softmax of {@code d[from, to)} in place: {@code exp(x - max) / sum}, each exponential one {@link #exp2} (as
     * {@link Attention}'s probabilities), the sum in double.
     */
    public static void softmaxInPlace(float[] d, int from, int to) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            max = Math.max(max, d[i]);
        }
        FloatVector shift = FloatVector.broadcast(S, max * LOG2E);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            exp2(FloatVector.fromArray(S, d, i).mul(LOG2E).sub(shift)).intoArray(d, i);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            exp2(FloatVector.fromArray(S, d, i, m).mul(LOG2E).sub(shift)).intoArray(d, i, m);
        }
        // summed in index order: reduceLanes orders lanes differently in the interpreter and in C2 code
        double sum = 0;
        for (int j = from; j < to; j++) {
            sum += d[j];
        }
        float inv = (float) (1 / sum);
        i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            FloatVector.fromArray(S, d, i).mul(inv).intoArray(d, i);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            FloatVector.fromArray(S, d, i, m).mul(inv).intoArray(d, i, m);
        }
    }
}
