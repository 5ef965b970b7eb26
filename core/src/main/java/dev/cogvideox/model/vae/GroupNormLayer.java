package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.GroupNorm;
import dev.cogvideox.tensor.GroupNormBackward;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;

/** {@code nn.GroupNorm} with affine weights {@code <prefix>.weight} and {@code <prefix>.bias} ({@code [C]}). */
final class GroupNormLayer implements ResnetNorm {
    private final String prefix;
    private final int groups;
    private final float eps;
    private final Tensor weight;
    private final Tensor bias;
    private final Kernels kernels;

    GroupNormLayer(WeightStore store, String prefix, int channels, int groups, float eps) {
        this.prefix = prefix;
        this.groups = groups;
        this.eps = eps;
        this.weight = store.tensor(prefix + ".weight", channels);
        this.bias = store.tensor(prefix + ".bias", channels);
        this.kernels = store.kernels();
    }

    @Override
    public Tensor normSilu(Tensor f, Tensor zq, boolean inPlace, Tape tape) {
        tape.push(this, tape.keep(f));
        Tensor out = inPlace ? f : Tensor.zeros(f.shape()); // [N, C, T, H, W]
        kernels.groupNorm(f, groups, weight, bias, eps, null, true, out);
        return out;
    }

    @Override
    public Tensor backward(Tensor g, Tensor dzq, Tape tape, Gradients grads) {
        Tensor f = tape.pop(this, Tensor.class);
        GroupNormBackward.Grads d = kernels.groupNormBackward(f, groups, weight, bias, eps, null, true, g);
        grads.add(prefix + ".weight", d.dWeight());
        grads.add(prefix + ".bias", d.dBias());
        return d.dx();
    }

    @Override
    public String toString() {
        return prefix;
    }
}
