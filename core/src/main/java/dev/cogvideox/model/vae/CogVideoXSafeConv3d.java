package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * A plain 1x1x1 3D convolution (the resnet's {@code conv_shortcut}, weights {@code <prefix>.weight} and
 * {@code <prefix>.bias}). The reference splits inputs above 2 GB along time to spare GPU memory; with kernel 1
 * that split does not change the result, so it is not reproduced.
 */
final class CogVideoXSafeConv3d {
    private final Weight weight;
    private final float[] bias;

    CogVideoXSafeConv3d(WeightStore store, String prefix, int inChannels, int outChannels) {
        this.weight = store.weight(prefix + ".weight", outChannels, inChannels, 1, 1, 1);
        this.bias = store.tensor(prefix + ".bias", outChannels).data();
    }

    /** {@code [N, Cin, T, H, W] -> [N, Cout, T, H, W]}. */
    Tensor forward(Tensor x) {
        return Conv3d.forward(x, null, weight, bias, Conv3d.Geometry.same(0)); // [N, Cout, T, H, W]
    }
}
