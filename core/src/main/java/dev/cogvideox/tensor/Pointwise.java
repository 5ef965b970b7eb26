package dev.cogvideox.tensor;

/** Elementwise maps with a caller-supplied scalar function (for the few one-off formulas models need). */
public final class Pointwise {
    /** A float-to-float function applied to every element. */
    @FunctionalInterface
    public interface FloatFunction {
        float apply(float v);
    }

    private Pointwise() {
    }

    /** A new tensor {@code y[i] = f(x[i])}. */
    public static Tensor map(Tensor x, FloatFunction f) {
        Tensor y = Tensor.zeros(x.shape());
        float[] xd = x.data(), yd = y.data();
        Parallel.forRange(xd.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                yd[i] = f.apply(xd[i]);
            }
        });
        return y;
    }
}
