package dev.cogvideox.train.optim;

import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.Parameter;

import java.util.Collection;

/** {@code torch.nn.utils.clip_grad_norm_(params, max_norm)} with the 2-norm: one global norm over every gradient. */
public final class GradientClipping {
    private GradientClipping() {
    }

    /**
     * Scales every gradient by {@code max_norm / (total_norm + 1e-6)} when that is below 1.
     *
     * @return the total norm before clipping
     */
    public static double clipByGlobalNorm(Collection<Parameter> params, double maxNorm) {
        double sq = 0;
        for (Parameter p : params) {
            if (p.grad() != null) {
                for (float g : p.grad().data()) {
                    sq += (double) g * g;
                }
            }
        }
        double total = Math.sqrt(sq);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            for (Parameter p : params) {
                if (p.grad() != null) {
                    Tensor scaled = Ops.scale(p.grad(), (float) coef);
                    System.arraycopy(scaled.data(), 0, p.grad().data(), 0, scaled.numel());
                }
            }
        }
        return total;
    }
}
