package dev.cogvideox.train.model;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.MatMul;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.train.grad.LinearGrad;

/**
 * {@code nn.Linear} over fp32 parameters {@code <prefix>.weight [out, in]} (stored with any shape of that size, e.g.
 * a conv kernel) and {@code <prefix>.bias [out]}, with an optional {@link LoraBranch}.
 */
public final class TrainLinear {
    private final Parameter weight;
    private final Parameter bias;
    private final int in;
    private final int out;
    private LoraBranch lora;

    TrainLinear(Parameter weight, Parameter bias, int in, int out) {
        this.weight = weight;
        this.bias = bias;
        this.in = in;
        this.out = out;
    }

    /** Loads {@code <prefix>.weight [out, in]} and, when {@code hasBias}, {@code <prefix>.bias [out]}. */
    static TrainLinear load(Parameters params, WeightStore store, String prefix, int in, int out, boolean hasBias) {
        return new TrainLinear(params.load(store, prefix + ".weight", out, in),
                hasBias ? params.load(store, prefix + ".bias", out) : null, in, out);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    public LoraBranch lora() {
        return lora;
    }

    /** Attaches (or, with null, removes) a LoRA branch. */
    public void setLora(LoraBranch branch) {
        if (branch != null && (branch.a().value().dim(1) != in || branch.b().value().dim(0) != out)) {
            throw new IllegalArgumentException("LoRA " + branch.a().name() + " " + branch.a().value() + " / " + branch.b().name() + " "
                    + branch.b().value() + " does not fit " + weight.name() + " [" + out + ", " + in + "]");
        }
        this.lora = branch;
    }

    /** {@code x [..., in] -> [..., out]}. */
    public Tensor forward(Tensor x) {
        Tensor y = MatMul.linear(x, matrix(), bias == null ? null : Weight.of(bias.name(), bias.value()));
        if (lora != null) {
            lora.addTo(x, y);
        }
        return y;
    }

    /**
     * Accumulates the parameter gradients for the forward input {@code x} and output gradient {@code dy}, and returns
     * the input gradient (null when {@code inputGrad} is false).
     */
    public Tensor backward(Tensor x, Tensor dy, boolean inputGrad) {
        if (weight.requiresGrad()) {
            weight.accumulate(LinearGrad.weightGrad(x, dy));
        }
        if (bias != null && bias.requiresGrad()) {
            bias.accumulate(LinearGrad.biasGrad(dy));
        }
        Tensor dx = inputGrad ? LinearGrad.inputGrad(dy, weight.value().reshape(out, in)) : null;
        return lora == null ? dx : lora.backward(x, dy, dx);
    }

    private Weight matrix() {
        return Weight.of(weight.name(), weight.value().reshape(out, in));
    }
}
