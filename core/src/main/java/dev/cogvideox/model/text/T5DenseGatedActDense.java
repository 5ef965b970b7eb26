package dev.cogvideox.model.text;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/** {@code T5DenseGatedActDense}: {@code wo(gelu_new(wi_0(x)) * wi_1(x))}, no biases (T5 v1.1 feed-forward). */
record T5DenseGatedActDense(Linear wi0, Linear wi1, Linear wo) {
    static T5DenseGatedActDense load(WeightStore store, String prefix, T5Config config) {
        return new T5DenseGatedActDense(
                Linear.load(store, prefix + ".wi_0", config.dModel(), config.dFf(), false),
                Linear.load(store, prefix + ".wi_1", config.dModel(), config.dFf(), false),
                Linear.load(store, prefix + ".wo", config.dFf(), config.dModel(), false));
    }

    /** {@code x [B, L, d_model] -> [B, L, d_model]}. */
    Tensor forward(Tensor x) {
        Tensor gate = Ops.geluTanh(wi0.forward(x));     // [B, L, d_ff]
        Tensor hidden = Ops.mul(gate, wi1.forward(x));  // [B, L, d_ff]
        return wo.forward(hidden);                      // [B, L, d_model]
    }
}
