package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.GroupNorm;
import dev.cogvideox.tensor.Tensor;

/** {@code nn.GroupNorm} with affine weights {@code <prefix>.weight} and {@code <prefix>.bias} ({@code [C]}). */
final class GroupNormLayer implements ResnetNorm {
    private final int groups;
    private final float eps;
    private final Tensor weight;
    private final Tensor bias;

    GroupNormLayer(WeightStore store, String prefix, int channels, int groups, float eps) {
        this.groups = groups;
        this.eps = eps;
        this.weight = store.tensor(prefix + ".weight", channels);
        this.bias = store.tensor(prefix + ".bias", channels);
    }

    @Override
    public Tensor normSilu(Tensor f, Tensor zq, boolean inPlace) {
        Tensor out = inPlace ? f : Tensor.zeros(f.shape()); // [N, C, T, H, W]
        GroupNorm.forward(f, groups, weight, bias, eps, null, true, out);
        return out;
    }
}
