package dev.cogvideox.model.nn;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Norms;
import dev.cogvideox.tensor.Tensor;

/** {@code torch.nn.LayerNorm} over the last dimension; weight and bias are null without elementwise affine. */
public record LayerNorm(Tensor weight, Tensor bias, float eps) {
    public static LayerNorm load(WeightStore store, String prefix, int dim, boolean affine, double eps) {
        if (!affine) {
            return new LayerNorm(null, null, (float) eps);
        }
        return new LayerNorm(store.tensor(prefix + ".weight", dim), store.tensor(prefix + ".bias", dim), (float) eps);
    }

    public Tensor forward(Tensor x) {
        return Norms.layerNorm(x, weight, bias, eps);
    }
}
