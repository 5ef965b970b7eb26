package dev.cogvideox.train.optim;

import dev.cogvideox.tensor.Finite;
import dev.cogvideox.tensor.Parallel;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.Parameter;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code torch.optim.AdamW} (decoupled weight decay, bias correction, no amsgrad) on fp32 master parameters. Per step
 * t and parameter p with gradient g:
 * <pre>
 *   p = p * (1 - lr * weight_decay)
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 *   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * Parameters without a gradient are skipped, as in torch. The moments are fp32 like the parameters.
 */
public final class AdamW {
    /** torch defaults except the weight decay, which the CogVideoX scripts set (adam_weight_decay 1e-4). */
    public record Config(double beta1, double beta2, double eps, double weightDecay) {
        public static final Config COGVIDEOX = new Config(0.9, 0.95, 1e-8, 1e-4);

        public Config {
            if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0 || weightDecay < 0) {
                throw new IllegalArgumentException("AdamW needs 0 <= betas < 1, eps > 0 and weight_decay >= 0, got " + this);
            }
        }
    }

    private record Moments(float[] m, float[] v) {
    }

    private final Collection<Parameter> params;
    private final Config cfg;
    private final Map<Parameter, Moments> state = new IdentityHashMap<>();
    private int step;

    public AdamW(Collection<Parameter> params, Config cfg) {
        this.params = params;
        this.cfg = cfg;
    }

    /** Steps taken so far. */
    public int steps() {
        return step;
    }

    /** The moments by parameter name ({@code <name>.exp_avg}, {@code <name>.exp_avg_sq}), for a checkpoint. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Parameter p : params) {
            Moments mo = state.get(p);
            if (mo != null) {
                out.put(p.name() + ".exp_avg", Tensor.of(mo.m(), p.value().shape()));
                out.put(p.name() + ".exp_avg_sq", Tensor.of(mo.v(), p.value().shape()));
            }
        }
        return out;
    }

    /** Restores the moments of {@link #state} and the number of steps taken; errors name a missing or misfit moment. */
    public void restore(Map<String, Tensor> moments, int steps, String source) {
        state.clear();
        for (Parameter p : params) {
            Tensor m = moments.get(p.name() + ".exp_avg"), v = moments.get(p.name() + ".exp_avg_sq");
            if (m == null && v == null) {
                continue;                                                                      // never had a gradient
            }
            if (m == null || v == null || m.numel() != p.value().numel() || v.numel() != p.value().numel()) {
                throw new IllegalArgumentException(source + ": no optimizer moments of " + p.value() + " for parameter " + p.name());
            }
            long bad = Finite.countNonFinite(m) + Finite.countNonFinite(v);
            for (float x : v.data()) {
                bad += x < 0 ? 1 : 0;                                          // a second moment is a mean of squares
            }
            if (bad > 0) {
                throw new IllegalArgumentException(source + ": the optimizer moments of " + p.name() + " hold " + bad
                        + " NaN, infinite or negative values; resume from an earlier checkpoint");
            }
            state.put(p, new Moments(m.data().clone(), v.data().clone()));
        }
        if (steps < 0) {
            throw new IllegalArgumentException(source + ": step " + steps + " is negative");
        }
        this.step = steps;
    }

    /**
     * Counts a step without an update (its gradient was not finite): weights and moments stay, the step count (and
     * with it the learning-rate schedule and the bias correction) moves on as the run's step does.
     */
    public void skip() {
        step++;
    }

    /** One update of every parameter that has a gradient, with learning rate {@code lr}. */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(cfg.beta1(), step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(cfg.beta2(), step));
        float decay = (float) (1 - lr * cfg.weightDecay());
        float b1 = (float) cfg.beta1(), b2 = (float) cfg.beta2();
        float stepSize = (float) (lr / bc1);
        for (Parameter p : params) {
            if (p.grad() == null) {
                continue;
            }
            float[] w = p.value().data(), g = p.grad().data();
            Moments mo = state.computeIfAbsent(p, k -> new Moments(new float[w.length], new float[w.length]));
            float[] m = mo.m(), v = mo.v();
            Parallel.forRange(w.length, 1 << 14, (from, to) -> {
                for (int i = from; i < to; i++) {
                    w[i] *= decay;
                    m[i] = b1 * m[i] + (1 - b1) * g[i];
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                    w[i] -= stepSize * m[i] / (float) (Math.sqrt(v[i]) / bc2Sqrt + cfg.eps());
                }
            });
        }
    }
}
