package dev.cogvideox.train.grad;

import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;

/**
 * Backward of the per-sample AdaLN operations of {@link dev.cogvideox.tensor.Ops}: the modulation
 * {@code z = n * (1 + scale) + shift} and the gated residual {@code acc += gate * y}, with {@code n, y [B, L, C]}
 * and {@code scale, shift, gate [B, C]}.
 */
public final class ModulationGrad {
    private ModulationGrad() {
    }

    /** Gradients of a modulation: dn {@code [B, L, C]}, dscale and dshift {@code [B, C]}. */
    public record Modulate(Tensor dn, Tensor dscale, Tensor dshift) {
    }

    /** Gradients of a gated residual: dy {@code [B, L, C]}, dgate {@code [B, C]}. */
    public record Gated(Tensor dy, Tensor dgate) {
    }

    /** {@code dn = dz * (1 + scale)}, {@code dscale = sum_l dz * n}, {@code dshift = sum_l dz}. */
    public static Modulate modulate(Tensor n, Tensor scale, Tensor dz) {
        return new Modulate(scaleRows(dz, scale, 1f), Reduce.sumTokens(dz, n), Reduce.sumTokens(dz, null));
    }

    /** {@code dy = dacc * gate}, {@code dgate = sum_l dacc * y}. */
    public static Gated gated(Tensor gate, Tensor y, Tensor dacc) {
        return new Gated(scaleRows(dacc, gate, 0f), Reduce.sumTokens(dacc, y));
    }

    /** {@code x[b, l, c] * (offset + s[b, c])} as a new tensor. */
    private static Tensor scaleRows(Tensor x, Tensor s, float offset) {
        int b = x.dim(0), l = x.dim(1), c = x.dim(2);
        s.requireShape("per-sample factor", b, c);
        Tensor y = Tensor.zeros(x.shape());
        float[] xd = x.data(), sd = s.data(), yd = y.data();
        Parallel.forRange(b * l, 64, (from, to) -> {
            for (int row = from; row < to; row++) {
                int o = row * c, m = (row / l) * c;
                for (int i = 0; i < c; i++) {
                    yd[o + i] = xd[o + i] * (offset + sd[m + i]);
                }
            }
        });
        return y;
    }
}
