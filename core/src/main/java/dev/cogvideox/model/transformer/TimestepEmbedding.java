package dev.cogvideox.model.transformer;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/** diffusers' {@code TimestepEmbedding}: {@code linear_2(silu(linear_1(x)))}. */
record TimestepEmbedding(Linear linear1, Linear linear2) {
    static TimestepEmbedding load(WeightStore store, String prefix, int in, int out) {
        return new TimestepEmbedding(Linear.load(store, prefix + ".linear_1", in, out, true),
                Linear.load(store, prefix + ".linear_2", out, out, true));
    }

    Tensor forward(Tensor x) {
        return linear2.forward(Ops.silu(linear1.forward(x)));
    }
}
