package dev.cogvideox.model.text;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;

/** {@code T5LayerNorm}: RMS norm {@code w * x / sqrt(mean(x^2) + eps)} in fp32, no mean subtraction, no bias. */
record T5LayerNorm(Tensor weight, float eps, Kernels kernels) {
    static T5LayerNorm load(WeightStore store, String prefix, T5Config config) {
        return new T5LayerNorm(store.tensor(prefix + ".weight", config.dModel()), (float) config.layerNormEpsilon(), store.kernels());
    }

    Tensor forward(Tensor x) {
        return kernels.rmsNorm(x, weight, eps);
    }
}
