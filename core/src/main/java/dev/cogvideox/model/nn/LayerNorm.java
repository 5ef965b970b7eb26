package dev.cogvideox.model.nn;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;

/** {@code torch.nn.LayerNorm} over the last dimension; weight and bias are null without elementwise affine; run on {@code kernels}. */
public record LayerNorm(Tensor weight, Tensor bias, float eps, Kernels kernels) {
    public static LayerNorm load(WeightStore store, String prefix, int dim, boolean affine, double eps) {
        if (!affine) {
            return new LayerNorm(null, null, (float) eps, store.kernels());
        }
        return new LayerNorm(store.tensor(prefix + ".weight", dim), store.tensor(prefix + ".bias", dim), (float) eps, store.kernels());
    }

    public Tensor forward(Tensor x) {
        return kernels.layerNorm(x, weight, bias, eps);
    }
}
