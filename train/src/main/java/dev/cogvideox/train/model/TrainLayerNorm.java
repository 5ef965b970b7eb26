package dev.cogvideox.train.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Norms;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.grad.NormGrad;

/** {@code nn.LayerNorm} over the last dimension; weight and bias are null without elementwise affine. */
public record TrainLayerNorm(Parameter weight, Parameter bias, float eps) {
    static TrainLayerNorm load(Parameters params, WeightStore store, String prefix, int dim, boolean affine, double eps) {
        if (!affine) {
            return new TrainLayerNorm(null, null, (float) eps);
        }
        return new TrainLayerNorm(params.load(store, prefix + ".weight", dim), params.load(store, prefix + ".bias", dim), (float) eps);
    }

    public Tensor forward(Tensor x) {
        return Norms.layerNorm(x, weight == null ? null : weight.value(), bias == null ? null : bias.value(), eps);
    }

    /** Accumulates dw and db and returns dx, for the forward input {@code x} and output gradient {@code dy}. */
    public Tensor backward(Tensor x, Tensor dy) {
        NormGrad.Grads g = NormGrad.layerNorm(x, weight == null ? null : weight.value(), eps, dy);
        if (weight != null) {
            weight.accumulate(g.dw());
            bias.accumulate(g.db());
        }
        return g.dx();
    }
}
