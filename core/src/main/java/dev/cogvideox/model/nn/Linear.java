package dev.cogvideox.model.nn;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * {@code torch.nn.Linear}: {@code y = x W^T + b}, W {@code [out, in]} kept in its stored dtype, with an optional
 * {@link Adapter} (a LoRA branch while training) added to its output.
 */
public final class Linear {
    /** A trainable branch beside a frozen linear layer (PEFT's LoRA): {@code y += branch(x)}. */
    public interface Adapter {
        /** Adds the branch's output for {@code x [..., in]} to {@code y [..., out]}, in place. */
        void addTo(Tensor x, Tensor y);
    }

    private final Weight weight;
    private final Weight bias;
    private final Kernels kernels;
    private Adapter adapter;

    public Linear(Weight weight, Weight bias, Kernels kernels) {
        this.weight = weight;
        this.bias = bias;
        this.kernels = kernels;
    }

    /** Loads {@code <prefix>.weight [out, in]} and, when {@code hasBias}, {@code <prefix>.bias [out]}, checking shapes. */
    public static Linear load(WeightStore store, String prefix, int in, int out, boolean hasBias) {
        Weight w = store.weight(prefix + ".weight", out, in);
        Weight b = hasBias ? store.weight(prefix + ".bias", out) : null;
        return new Linear(w, b, store.kernels());
    }

    /** {@code x [..., in] -> [..., out]}. */
    public Tensor forward(Tensor x) {
        Tensor y = kernels.linear(x, weight, bias);
        if (adapter != null) {
            adapter.addTo(x, y);
        }
        return y;
    }

    /** The kernels this layer runs on (its store's); a backward pass or an adapter of the layer uses them too. */
    public Kernels kernels() {
        return kernels;
    }

    public Weight weight() {
        return weight;
    }

    public int inFeatures() {
        return weight.dim(1);
    }

    public int outFeatures() {
        return weight.dim(0);
    }

    /** The bias, or null. */
    public Weight bias() {
        return bias;
    }

    /** Attaches (or, with null, removes) an adapter. */
    public void setAdapter(Adapter adapter) {
        this.adapter = adapter;
    }

    /** The adapter, or null. */
    public Adapter adapter() {
        return adapter;
    }
}
