package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;

/** Sums over the token axis, the reductions behind bias, gate, shift and scale gradients. */
public final class Reduce {
    /** Columns per task: each task walks every token of its column strip, so the order of each sum is fixed. */
    private static final int COLUMNS = 64;

    private Reduce() {
    }

    /**
     * {@code out[b, c] = sum_l a[b, l, c] * m[b, l, c]} (or {@code sum_l a[b, l, c]} when {@code m} is null), for
     * {@code a, m [B, L, C]}, accumulated in double: {@code [B, C]}.
     */
    public static Tensor sumTokens(Tensor a, Tensor m) {
        int b = a.dim(0), l = a.dim(1), c = a.dim(2);
        if (m != null && !m.sameShape(a)) {
            throw new IllegalArgumentException("sumTokens: shapes " + a + " and " + m + " differ");
        }
        Tensor out = Tensor.zeros(b, c);
        float[] ad = a.data(), md = m == null ? null : m.data(), od = out.data();
        int strips = (c + COLUMNS - 1) / COLUMNS;
        Parallel.forRange(b * strips, 1, (from, to) -> {
            double[] acc = new double[COLUMNS];
            for (int task = from; task < to; task++) {
                int bb = task / strips, c0 = (task % strips) * COLUMNS, n = Math.min(COLUMNS, c - c0);
                java.util.Arrays.fill(acc, 0);
                for (int t = 0; t < l; t++) {
                    int o = (bb * l + t) * c + c0;
                    for (int i = 0; i < n; i++) {
                        acc[i] += md == null ? ad[o + i] : (double) ad[o + i] * md[o + i];
                    }
                }
                for (int i = 0; i < n; i++) {
                    od[bb * c + c0 + i] = (float) acc[i];
                }
            }
        });
        return out;
    }

    /** {@code out[c] = sum over all rows of a[..., c]}: the gradient of a bias broadcast over every row. */
    public static Tensor sumRows(Tensor a) {
        int c = a.dim(-1);
        return sumTokens(a.reshape(1, a.numel() / c, c), null).reshape(c);
    }

    /** {@code acc += x}, same element count (gradient accumulation). */
    public static void accumulate(Tensor acc, Tensor x) {
        if (acc.numel() != x.numel()) {
            throw new IllegalArgumentException("accumulate: " + x + " into " + acc);
        }
        float[] a = acc.data(), d = x.data();
        Parallel.forRange(a.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                a[i] += d[i];
            }
        });
    }
}
