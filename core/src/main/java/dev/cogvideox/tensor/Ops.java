package dev.cogvideox.tensor;

/** Elementwise operations and activations. Each returns a new tensor unless its name ends in {@code InPlace}. */
public final class Ops {
    /** sqrt(2/pi), the constant of the tanh approximation of GELU. */
    private static final float GELU_C = 0.7978845608028654f;

    private Ops() {
    }

    @FunctionalInterface
    private interface FloatOp {
        float apply(float v);
    }

    private static Tensor map(Tensor x, FloatOp op) {
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
        return map(x, v -> 0.5f * v * (1f + (float) Math.tanh(GELU_C * (v + 0.044715f * v * v * v))));
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

    private static void requireSame(Tensor a, Tensor b, String op) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " differ");
        }
    }
}
