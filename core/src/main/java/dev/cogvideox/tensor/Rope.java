package dev.cogvideox.tensor;

/**
 * Rotary position embedding on interleaved pairs, as diffusers' {@code apply_rotary_emb(use_real=True,
 * use_real_unbind_dim=-1)}: {@code out = x * cos + rot(x) * sin} with {@code rot(x0, x1) = (-x1, x0)}.
 */
public final class Rope {
    private Rope() {
    }

    /**
     * Rotates, in place, tokens {@code [start, start + S)} of {@code x [B, L, H*D]} for every head, with
     * {@code cos, sin [S, D]} (each frequency repeated twice).
     */
    public static void applyInPlace(Tensor x, int heads, int start, Tensor cos, Tensor sin) {
        rotateTokens(x, heads, start, cos, sin, false);
    }

    /**
     * The transposed map of {@link #applyInPlace}, in place: {@code (x0, x1) -> (x0 c0 + x1 s1, x1 c1 - x0 s0)} (the
     * inverse rotation when each frequency is repeated). The backward pass of RoPE applies it to the gradient.
     */
    public static void applyTransposedInPlace(Tensor x, int heads, int start, Tensor cos, Tensor sin) {
        rotateTokens(x, heads, start, cos, sin, true);
    }

    private static void rotateTokens(Tensor x, int heads, int start, Tensor cos, Tensor sin, boolean transposed) {
        int b = x.dim(0), l = x.dim(1), width = x.dim(2);
        int d = width / heads;
        int s = cos.dim(0);
        cos.requireShape("rope cos", s, d);
        sin.requireShape("rope sin", s, d);
        if (start + s > l) {
            throw new IllegalArgumentException("rope table has " + s + " positions but only " + (l - start) + " tokens follow position " + start);
        }
        float[] xd = x.data(), cd = cos.data(), sd = sin.data();
        Parallel.forRange(b * s, 64, (from, to) -> {
            for (int row = from; row < to; row++) {
                int bb = row / s, t = row % s;
                int base = (bb * l + start + t) * width;
                int tab = t * d;
                for (int h = 0; h < heads; h++) {
                    if (transposed) {
                        rotateBack(xd, base + h * d, cd, sd, tab, d);
                    } else {
                        rotate(xd, base + h * d, cd, sd, tab, d);
                    }
                }
            }
        });
    }

    /** One head: {@code (x0, x1) -> (x0 c0 - x1 s0, x1 c1 + x0 s1)} on each pair. */
    private static void rotate(float[] xd, int o, float[] cd, float[] sd, int tab, int d) {
        for (int i = 0; i < d; i += 2) {
            float x0 = xd[o + i], x1 = xd[o + i + 1];
            xd[o + i] = x0 * cd[tab + i] - x1 * sd[tab + i];
            xd[o + i + 1] = x1 * cd[tab + i + 1] + x0 * sd[tab + i + 1];
        }
    }

    /** One head, the transposed map: {@code (x0, x1) -> (x0 c0 + x1 s1, x1 c1 - x0 s0)} on each pair. */
    private static void rotateBack(float[] xd, int o, float[] cd, float[] sd, int tab, int d) {
        for (int i = 0; i < d; i += 2) {
            float x0 = xd[o + i], x1 = xd[o + i + 1];
            xd[o + i] = x0 * cd[tab + i] + x1 * sd[tab + i + 1];
            xd[o + i + 1] = x1 * cd[tab + i + 1] - x0 * sd[tab + i];
        }
    }
}
