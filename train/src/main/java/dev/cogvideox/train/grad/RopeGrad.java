package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;

/**
 * Backward of {@link dev.cogvideox.tensor.Rope#applyInPlace}: the forward maps each interleaved pair
 * {@code (x0, x1)} to {@code (x0 c0 - x1 s0, x1 c1 + x0 s1)}, so the gradient is the transposed map
 * {@code (d0 c0 + d1 s1, d1 c1 - d0 s0)} (the inverse rotation when c0 = c1 and s0 = s1).
 */
public final class RopeGrad {
    private RopeGrad() {
    }

    /** Rotates back, in place, the gradient of tokens {@code [start, start + S)} of {@code dx [B, L, H*D]}. */
    public static void applyInPlace(Tensor dx, int heads, int start, Tensor cos, Tensor sin) {
        int b = dx.dim(0), l = dx.dim(1), width = dx.dim(2);
        int d = width / heads, s = cos.dim(0);
        cos.requireShape("rope cos", s, d);
        sin.requireShape("rope sin", s, d);
        if (start + s > l) {
            throw new IllegalArgumentException("rope table has " + s + " positions but only " + (l - start) + " tokens follow position " + start);
        }
        float[] xd = dx.data(), cd = cos.data(), sd = sin.data();
        Parallel.forRange(b * s, 64, (from, to) -> {
            for (int row = from; row < to; row++) {
                int bb = row / s, t = row % s;
                int base = (bb * l + start + t) * width, tab = t * d;
                for (int h = 0; h < heads; h++) {
                    int o = base + h * d;
                    for (int i = 0; i < d; i += 2) {
                        float d0 = xd[o + i], d1 = xd[o + i + 1];
                        xd[o + i] = d0 * cd[tab + i] + d1 * sd[tab + i + 1];
                        xd[o + i + 1] = d1 * cd[tab + i + 1] - d0 * sd[tab + i];
                    }
                }
            }
        });
    }
}
