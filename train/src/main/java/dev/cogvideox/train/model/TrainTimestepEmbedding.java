package dev.cogvideox.train.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.grad.ActivationGrad;

/** Training twin of diffusers' {@code TimestepEmbedding}: {@code linear_2(silu(linear_1(x)))}. */
record TrainTimestepEmbedding(TrainLinear linear1, TrainLinear linear2) {
    static TrainTimestepEmbedding load(Parameters params, WeightStore store, String prefix, int in, int out) {
        return new TrainTimestepEmbedding(TrainLinear.load(params, store, prefix + ".linear_1", in, out, true),
                TrainLinear.load(params, store, prefix + ".linear_2", out, out, true));
    }

    /** The input, the first projection and the output. */
    record Tape(Tensor input, Tensor hidden, Tensor output) {
    }

    Tape forward(Tensor x) {
        Tensor hidden = linear1.forward(x);                                                    // [B, out]
        return new Tape(x, hidden, linear2.forward(Ops.silu(hidden)));
    }

    /** Accumulates the parameter gradients for {@code dOut [B, out]} (the sinusoidal input takes none). */
    void backward(Tape tape, Tensor dOut) {
        Tensor dAct = linear2.backward(Ops.silu(tape.hidden()), dOut, true);
        linear1.backward(tape.input(), ActivationGrad.silu(tape.hidden(), dAct), false);
    }
}
