package dev.cogvideox.model.text;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/**
 * {@code T5Block} of the encoder, pre-norm: {@code layer.0} = {@code x += SelfAttention(layer_norm(x))},
 * {@code layer.1} = {@code x += DenseReluDense(layer_norm(x))}.
 */
record T5Block(T5LayerNorm attentionNorm, T5Attention selfAttention, T5LayerNorm feedForwardNorm, T5DenseGatedActDense denseReluDense) {
    static T5Block load(WeightStore store, String prefix, T5Config config, boolean hasRelativeAttentionBias) {
        return new T5Block(
                T5LayerNorm.load(store, prefix + ".layer.0.layer_norm", config),
                T5Attention.load(store, prefix + ".layer.0.SelfAttention", config, hasRelativeAttentionBias),
                T5LayerNorm.load(store, prefix + ".layer.1.layer_norm", config),
                T5DenseGatedActDense.load(store, prefix + ".layer.1.DenseReluDense", config));
    }

    /** {@code hidden [B, L, d_model]}, {@code positionBias [1 or B, H, L, L]} {@code -> [B, L, d_model]} (a new tensor). */
    Tensor forward(Tensor hidden, Tensor positionBias) {
        // 1. Self-attention sub-layer.
        Tensor x = Ops.add(hidden, selfAttention.forward(attentionNorm.forward(hidden), positionBias));  // [B, L, d_model]
        // 2. Feed-forward sub-layer.
        Ops.addInPlace(x, denseReluDense.forward(feedForwardNorm.forward(x)));                         // [B, L, d_model]
        return x;
    }
}
