package dev.cogvideox.train.model;

import dev.cogvideox.model.nn.Linear;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.train.grad.LinearGrad;

/**
 * PEFT's {@code lora.Linear} branch on a frozen linear layer: {@code y = W x + b + (B (A x)) * scaling * scale}, with
 * {@code A = lora_A.weight [r, in]}, {@code B = lora_B.weight [out, r]}, {@code scaling = lora_alpha / r} and
 * {@code scale} the runtime multiplier of {@code attention_kwargs={"scale": s}} (PEFT's {@code scale_layer}).
 * The factor is a Python float (double) applied to a float32 tensor, so it is rounded to float32 once. The branch runs
 * on the kernels of the layer it sits on.
 */
public final class LoraBranch implements Linear.Adapter {
    private final Parameter a;
    private final Parameter b;
    private final double scaling;
    private final Kernels kernels;
    private double scale = 1.0;

    public LoraBranch(Parameter a, Parameter b, double scaling, Kernels kernels) {
        int r = a.value().dim(0);
        if (a.value().rank() != 2 || b.value().rank() != 2 || b.value().dim(1) != r) {
            throw new IllegalArgumentException("LoRA " + a.name() + " " + a.value() + " and " + b.name() + " " + b.value()
                    + " do not form a rank-r pair (A [r, in], B [out, r])");
        }
        this.a = a;
        this.b = b;
        this.scaling = scaling;
        this.kernels = kernels;
    }

    public Parameter a() {
        return a;
    }

    public Parameter b() {
        return b;
    }

    public int rank() {
        return a.value().dim(0);
    }

    public double scaling() {
        return scaling;
    }

    public void setScale(double scale) {
        this.scale = scale;
    }

    /** The float32 factor the branch output is multiplied by. */
    public float factor() {
        return (float) (scaling * scale);
    }

    /** {@code y += (B (A x)) * factor} for {@code x [..., in]}, {@code y [..., out]}. */
    @Override
    public void addTo(Tensor x, Tensor y) {
        Tensor branch = kernels.linear(kernels.linear(x, weight(a), null), weight(b), null); // [..., out]
        Ops.addInPlace(y, Ops.scale(branch, factor()));
    }

    /**
     * Accumulates dA and dB and returns {@code dx + (dy * factor) B A} (dx may be null: then no input gradient).
     * With {@code u = A x}: {@code dB = (dy f)^T u}, {@code du = (dy f) B}, {@code dA = du^T x}.
     */
    Tensor backward(Tensor x, Tensor dy, Tensor dx) {
        Tensor u = kernels.linear(x, weight(a), null);                                     // [..., r]
        Tensor dl = Ops.scale(dy, factor());                                             // [..., out]
        b.accumulate(LinearGrad.weightGrad(kernels, u, dl));
        Tensor du = LinearGrad.inputGrad(kernels, dl, b.value());                        // [..., r]
        a.accumulate(LinearGrad.weightGrad(kernels, x, du));
        if (dx == null) {
            return null;
        }
        Ops.addInPlace(dx, LinearGrad.inputGrad(kernels, du, a.value()));                // [..., in]
        return dx;
    }

    /** {@code (B @ A) * factor}: the update PEFT's {@code merge} adds to the base weight {@code [out, in]}. */
    public Tensor delta() {
        return delta(kernels, a.value(), b.value(), factor());
    }

    /** {@code (B @ A) * factor} in float32 for {@code A [r, in]}, {@code B [out, r]}: {@code [out, in]}, on {@code kernels}. */
    public static Tensor delta(Kernels kernels, Tensor a, Tensor b, float factor) {
        Tensor at = Layout.permute(a, 1, 0);                                               // [in, r]
        return Ops.scale(kernels.linear(b, Weight.of("lora_A^T", at), null), factor);      // [out, in]
    }

    private static Weight weight(Parameter p) {
        return Weight.of(p.name(), p.value());
    }
}
