package dev.cogvideox.train.model;

import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.grad.Reduce;

/**
 * One trainable fp32 tensor (the master copy) and its gradient, named by its diffusers {@code state_dict} key.
 * Backward passes add into the gradient ({@link #accumulate}); a frozen parameter ignores them.
 */
public final class Parameter {
    private final String name;
    private final Tensor value;
    private Tensor grad;
    private boolean requiresGrad = true;

    public Parameter(String name, Tensor value) {
        this.name = name;
        this.value = value;
    }

    public String name() {
        return name;
    }

    /** The values, updated in place by optimizers. */
    public Tensor value() {
        return value;
    }

    /** The accumulated gradient (same shape as the value), or null before any backward pass reached it. */
    public Tensor grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public void setRequiresGrad(boolean requiresGrad) {
        this.requiresGrad = requiresGrad;
    }

    /** {@code grad += g} (g may have another shape with the same element count); ignored when frozen. */
    public void accumulate(Tensor g) {
        if (!requiresGrad) {
            return;
        }
        if (grad == null) {
            grad = Tensor.zeros(value.shape());
        }
        Reduce.accumulate(grad, g);
    }

    public void zeroGrad() {
        grad = null;
    }

    @Override
    public String toString() {
        return name + " " + value;
    }
}
