package dev.cogvideox.model.transformer;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/** diffusers' {@code TimestepEmbedding}: {@code linear_2(silu(linear_1(x)))}. */
public record TimestepEmbedding(Linear linear1, Linear linear2) {
    static TimestepEmbedding load(WeightStore store, String prefix, int in, int out) {
        return new TimestepEmbedding(Linear.load(store, prefix + ".linear_1", in, out, true),
                Linear.load(store, prefix + ".linear_2", out, out, true));
    }

    Tensor forward(Tensor x, Tape tape) {
        Tensor hidden = linear1.forward(x);                                              // [B, out]
        tape.push(this, new Saved(x, hidden));
        return linear2.forward(Ops.silu(hidden));
    }

    /** What a recording forward keeps: the input and {@code linear_1}'s output. */
    public record Saved(Tensor input, Tensor hidden) {
    }
}
