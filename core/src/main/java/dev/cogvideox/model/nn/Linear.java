package dev.cogvideox.model.nn;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.MatMul;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/** {@code torch.nn.Linear}: {@code y = x W^T + b}, W {@code [out, in]} kept in its stored dtype. */
public record Linear(Weight weight, Weight bias) {
    /** Loads {@code <prefix>.weight [out, in]} and, when {@code hasBias}, {@code <prefix>.bias [out]}, checking shapes. */
    public static Linear load(WeightStore store, String prefix, int in, int out, boolean hasBias) {
        Weight w = store.weight(prefix + ".weight", out, in);
        Weight b = hasBias ? store.weight(prefix + ".bias", out) : null;
        return new Linear(w, b);
    }

    /** {@code x [..., in] -> [..., out]}. */
    public Tensor forward(Tensor x) {
        return MatMul.linear(x, weight, bias);
    }

    public int inFeatures() {
        return weight.dim(1);
    }

    public int outFeatures() {
        return weight.dim(0);
    }
}
