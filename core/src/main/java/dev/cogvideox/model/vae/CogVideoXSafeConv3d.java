package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * A plain 1x1x1 3D convolution (the resnet's {@code conv_shortcut}, weights {@code <prefix>.weight} and
 * {@code <prefix>.bias}). The reference splits inputs above 2 GB along time to spare GPU memory; with kernel 1
 * that split does not change the result, so it is not reproduced.
 */
final class CogVideoXSafeConv3d {
    private final String prefix;
    private final Weight weight;
    private final float[] bias;
    private final Kernels kernels;

    CogVideoXSafeConv3d(WeightStore store, String prefix, int inChannels, int outChannels) {
        this.prefix = prefix;
        this.weight = store.weight(prefix + ".weight", outChannels, inChannels, 1, 1, 1);
        this.bias = store.tensor(prefix + ".bias", outChannels).data();
        this.kernels = store.kernels();
    }

    /** {@code [N, Cin, T, H, W] -> [N, Cout, T, H, W]}. */
    Tensor forward(Tensor x, Tape tape) {
        tape.push(this, tape.keep(x));
        return kernels.conv3d(x, null, weight, bias, Conv3d.Geometry.same(0)); // [N, Cout, T, H, W]
    }

    /** From {@code g = dL/dout}: adds the weight and bias gradients to {@code grads}, returns {@code dL/dx}. */
    Tensor backward(Tensor g, Tape tape, Gradients grads) {
        Tensor x = tape.pop(this, Tensor.class);
        grads.add(weight.name(), kernels.conv3dWeightGrad(x, null, g, weight.shape(), Conv3d.Geometry.same(0)));
        grads.add(prefix + ".bias", kernels.conv3dBiasGrad(g));
        return kernels.conv3dInputGrad(g, weight, Conv3d.Geometry.same(0), x.dim(2), x.dim(3), x.dim(4)); // [N, Cin, T, H, W]
    }

    @Override
    public String toString() {
        return prefix;
    }
}
