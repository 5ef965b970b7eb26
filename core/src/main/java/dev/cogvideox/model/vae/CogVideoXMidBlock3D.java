package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Tensor;

/** The middle stage: {@code resnets.0..L-1} at constant channels (SpatialNorm3D in the decoder, GroupNorm in the encoder). */
final class CogVideoXMidBlock3D {
    private final CogVideoXResnetBlock3D[] resnets;

    /** {@code spatialNormDim} 0 for the encoder, the latent channel count for the decoder. */
    CogVideoXMidBlock3D(WeightStore store, String prefix, int channels, int layers, int groups, float eps, int spatialNormDim) {
        this.resnets = new CogVideoXResnetBlock3D[layers];
        for (int i = 0; i < layers; i++) {
            resnets[i] = new CogVideoXResnetBlock3D(store, prefix + ".resnets." + i, channels, channels, groups, eps, spatialNormDim);
        }
    }

    /** {@code [N, C, T, H, W] -> [N, C, T, H, W]}; {@code zq} the decoder's latents or null. */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache) {
        return forward(x, zq, cache, Tape.NONE);
    }

    /** {@link #forward(Tensor, Tensor, ConvCache)}, recording on {@code tape}. */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache, Tape tape) {
        Tensor h = x;
        for (CogVideoXResnetBlock3D resnet : resnets) {
            h = resnet.forward(h, zq, cache, tape); // [N, C, T, H, W]
        }
        return h;
    }

    /** From {@code g = dL/dout}, in reverse: returns {@code dL/dx}; the latents' gradient (decoder) into {@code dzq}. */
    Tensor backward(Tensor g, Tensor dzq, Tape tape, Gradients grads) {
        Tensor d = g;
        for (int i = resnets.length - 1; i >= 0; i--) {
            d = resnets[i].backward(d, dzq, tape, grads);
        }
        return d;
    }
}
