package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Tensor;

/** An encoder stage: {@code resnets.0..L-1} (GroupNorm), then an optional {@code downsamplers.0}. */
final class CogVideoXDownBlock3D {
    private final CogVideoXResnetBlock3D[] resnets;
    private final CogVideoXDownsample3D downsampler;

    CogVideoXDownBlock3D(WeightStore store, String prefix, int in, int out, int layers, int groups, float eps,
                         boolean addDownsample, boolean compressTime) {
        this.resnets = new CogVideoXResnetBlock3D[layers];
        for (int i = 0; i < layers; i++) {
            resnets[i] = new CogVideoXResnetBlock3D(store, prefix + ".resnets." + i, i == 0 ? in : out, out, groups, eps, 0);
        }
        this.downsampler = addDownsample ? new CogVideoXDownsample3D(store, prefix + ".downsamplers.0", out, out, compressTime) : null;
    }

    /** {@code [N, in, T, H, W] -> [N, out, T', H', W']}. */
    Tensor forward(Tensor x, ConvCache cache) {
        return forward(x, cache, Tape.NONE);
    }

    /** {@link #forward(Tensor, ConvCache)}, recording on {@code tape}. */
    Tensor forward(Tensor x, ConvCache cache, Tape tape) {
        Tensor h = x;
        for (CogVideoXResnetBlock3D resnet : resnets) {
            h = resnet.forward(h, null, cache, tape); // [N, out, T, H, W]
        }
        return downsampler == null ? h : downsampler.forward(h, tape); // [N, out, T', H/2, W/2]
    }

    /** From {@code g = dL/dout}, in reverse: returns {@code dL/dx}, parameter gradients into {@code grads}. */
    Tensor backward(Tensor g, Tape tape, Gradients grads) {
        Tensor d = downsampler == null ? g : downsampler.backward(g, tape, grads);
        for (int i = resnets.length - 1; i >= 0; i--) {
            d = resnets[i].backward(d, null, tape, grads);
        }
        return d;
    }
}
