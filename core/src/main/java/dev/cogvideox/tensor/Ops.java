package dev.cogvideox.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Elementwise operations and activations. Each returns a new tensor unless its name ends in {@code InPlace}. */
public final class Ops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** sqrt(2/pi), the constant of the tanh approximation of GELU. */
    private static final float GELU_C = 0.7978845608028654f;

    private Ops() {
    }

    /** A float-to-float function applied to every element. */
    @FunctionalInterface
    public interface FloatFunction {
        float apply(float v);
    }

    /** A new tensor {@code y[i] = f(x[i])}. */
    public static Tensor map(Tensor x, FloatFunction op) {
        Tensor y = Tensor.zeros(x.shape());
        float[] xd = x.data(), yd = y.data();
        Parallel.forRange(xd.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                yd[i] = op.apply(xd[i]);
            }
        });
        return y;
    }

    /** SiLU: {@code x * sigmoid(x)}. */
    public static Tensor silu(Tensor x) {
        return map(x, v -> v / (1f + (float) Math.exp(-v)));
    }

    /** GELU, tanh approximation ("gelu-approximate", T5's gelu_new): {@code 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))}. */
    public static Tensor geluTanh(Tensor x) {
        Tensor y = x.copy();
        geluTanhInPlace(y.data(), y.numel());
        return y;
    }

    /**
     * {@link #geluTanh(Tensor)} in place on {@code d[0..n)}, vectorised: {@code 0.5x(1 + tanh(u)) = x / (1 + exp(-2u))},
     * with {@link VectorMath#exp2}. The tail of each range goes through the same lanes under a mask, so every
     * element is computed the same way wherever the thread partition puts it.
     */
    public static void geluTanhInPlace(float[] d, int n) {
        Parallel.forRange(n, 1 << 14, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
                gelu(FloatVector.fromArray(S, d, i)).intoArray(d, i);
            }
            if (i < to) {
                VectorMask<Float> m = S.indexInRange(i, to);
                gelu(FloatVector.fromArray(S, d, i, m)).intoArray(d, i, m);
            }
        });
    }

    private static FloatVector gelu(FloatVector v) {
        FloatVector u = v.mul(v).mul(v).mul(0.044715f).add(v).mul(GELU_C);
        return v.div(VectorMath.onePlusExp2(u.mul(-2f * VectorMath.LOG2E)));
    }


    public static Tensor scale(Tensor x, float s) {
        return map(x, v -> v * s);
    }

    /** {@code a + b}, same shapes. */
    public static Tensor add(Tensor a, Tensor b) {
        requireSame(a, b, "add");
        Tensor y = a.copy();
        addInPlace(y, b);
        return y;
    }

    /** {@code a += b}, same shapes. */
    public static void addInPlace(Tensor a, Tensor b) {
        requireSame(a, b, "add");
        float[] ad = a.data(), bd = b.data();
        Parallel.forRange(ad.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                ad[i] += bd[i];
            }
        });
    }

    /** {@code a * b}, same shapes. */
    public static Tensor mul(Tensor a, Tensor b) {
        requireSame(a, b, "mul");
        Tensor y = Tensor.zeros(a.shape());
        float[] ad = a.data(), bd = b.data(), yd = y.data();
        Parallel.forRange(ad.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                yd[i] = ad[i] * bd[i];
            }
        });
        return y;
    }

    /**
     * AdaLN modulation per sample: {@code x[b, l, c] * (1 + scale[b, c]) + shift[b, c]}, in place, for
     * {@code x [B, L, C]} and {@code scale, shift [B, C]}.
     */
    public static void modulateInPlace(Tensor x, Tensor scale, Tensor shift) {
        modulateSegmentsInPlace(x, 0, scale, shift, scale, shift);
    }

    /**
     * Expert AdaLN modulation, in place: tokens {@code l < split} of {@code x [B, L, C]} use {@code (scaleA, shiftA)},
     * the others {@code (scaleB, shiftB)}, all {@code [B, C]}: {@code x * (1 + scale) + shift}.
     */
    public static void modulateSegmentsInPlace(Tensor x, int split, Tensor scaleA, Tensor shiftA, Tensor scaleB, Tensor shiftB) {
        int b = x.dim(0), l = x.dim(1), c = x.dim(2);
        for (Tensor t : new Tensor[]{scaleA, shiftA, scaleB, shiftB}) {
            t.requireShape("modulation", b, c);
        }
        float[] xd = x.data();
        Parallel.forRange(b * l, 64, (from, to) -> {
            for (int row = from; row < to; row++) {
                boolean a = row % l < split;
                float[] sc = (a ? scaleA : scaleB).data(), sh = (a ? shiftA : shiftB).data();
                int o = row * c, m = (row / l) * c;
                for (int i = 0; i < c; i++) {
                    xd[o + i] = xd[o + i] * (1f + sc[m + i]) + sh[m + i];
                }
            }
        });
    }

    /** Gated residual per sample: {@code acc[b, l, c] += gate[b, c] * y[b, l, c]} for {@code acc, y [B, L, C]}, {@code gate [B, C]}. */
    public static void addGatedInPlace(Tensor acc, Tensor gate, Tensor y) {
        requireSame(acc, y, "gated add");
        addGatedSegmentsInPlace(acc, 0, gate, gate, y.data(), 0, acc.dim(0) * acc.dim(1));
    }

    /**
     * Expert gated residual, in place, on the flattened rows {@code [firstRow, firstRow + rows)} of {@code acc [B, L, C]}:
     * {@code acc[row] += gate[b] * y[row - firstRow]}, with {@code gateA} for tokens {@code l < split}, {@code gateB} after.
     */
    public static void addGatedSegmentsInPlace(Tensor acc, int split, Tensor gateA, Tensor gateB, float[] y, int firstRow, int rows) {
        int b = acc.dim(0), l = acc.dim(1), c = acc.dim(2);
        gateA.requireShape("gate", b, c);
        gateB.requireShape("gate", b, c);
        if (firstRow < 0 || firstRow + rows > b * l || y.length < rows * c) {
            throw new IllegalArgumentException("gated add: rows [" + firstRow + ", " + (firstRow + rows) + ") of " + acc + " from " + y.length + " values");
        }
        float[] ad = acc.data();
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int row = firstRow + r;
                float[] g = (row % l < split ? gateA : gateB).data();
                int o = row * c, m = (row / l) * c, yo = r * c;
                for (int i = 0; i < c; i++) {
                    ad[o + i] += g[m + i] * y[yo + i];
                }
            }
        });
    }

    /** Adds {@code row [C]} (or {@code [B, C]} per sample) to every token of {@code x [B, L, C]}, in place. */
    public static void addRowsInPlace(Tensor x, Tensor rows) {
        int b = x.dim(0), l = x.dim(1), c = x.dim(2);
        boolean perSample = rows.numel() == b * c;
        if (!perSample && rows.numel() != c) {
            throw new IllegalArgumentException("cannot broadcast " + rows + " over " + x);
        }
        float[] xd = x.data(), r = rows.data();
        Parallel.forRange(b * l, 64, (from, to) -> {
            for (int row = from; row < to; row++) {
                int o = row * c, m = perSample ? (row / l) * c : 0;
                for (int i = 0; i < c; i++) {
                    xd[o + i] += r[m + i];
                }
            }
        });
    }

    /** {@code x += s}, in place. */
    public static void addScalarInPlace(Tensor x, float s) {
        float[] d = x.data();
        Parallel.forRange(d.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                d[i] += s;
            }
        });
    }

    /** The pipelines' postprocess of decoded pixels: {@code (x / 2 + 0.5).clamp(0, 1)}, in place. */
    public static void postprocessInPlace(Tensor x) {
        float[] d = x.data();
        Parallel.forRange(d.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                d[i] = Math.min(1f, Math.max(0f, d[i] / 2f + 0.5f));
            }
        });
    }

    private static void requireSame(Tensor a, Tensor b, String op) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " differ");
        }
    }
}
