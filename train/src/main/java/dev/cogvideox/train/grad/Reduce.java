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
        return sumSegments(a, m, TokenSegments.uniform(a.dim(0), a.dim(1)));
    }

    /**
     * {@code out[s, c] = sum over the rows r of segment s of a[r, c] * m[r, c]} (or of {@code a[r, c]} when {@code m}
     * is null), {@code a, m} any shape of {@code [segments.total(), C]} rows, accumulated in double: {@code [S, C]}.
     */
    public static Tensor sumSegments(Tensor a, Tensor m, TokenSegments segments) {
        int c = a.dim(-1), s = segments.count();
        if (a.numel() != segments.total() * c || (m != null && !m.sameShape(a))) {
            throw new IllegalArgumentException("sumSegments: " + a + (m == null ? "" : " and " + m) + " over " + segments);
        }
        Tensor out = Tensor.zeros(s, c);
        float[] ad = a.data(), md = m == null ? null : m.data(), od = out.data();
        int strips = (c + COLUMNS - 1) / COLUMNS;
        Parallel.forRange(s * strips, 1, (from, to) -> {
            double[] acc = new double[COLUMNS];
            for (int task = from; task < to; task++) {
                int seg = task / strips, c0 = (task % strips) * COLUMNS, n = Math.min(COLUMNS, c - c0);
                java.util.Arrays.fill(acc, 0);
                for (int t = segments.start(seg); t < segments.start(seg) + segments.length(seg); t++) {
                    int o = t * c + c0;
                    for (int i = 0; i < n; i++) {
                        acc[i] += md == null ? ad[o + i] : (double) ad[o + i] * md[o + i];
                    }
                }
                for (int i = 0; i < n; i++) {
                    od[seg * c + c0 + i] = (float) acc[i];
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
