package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.Tensor;

/** A decoder stage: {@code resnets.0..L-1} (SpatialNorm3D on the latents), then an optional {@code upsamplers.0}. */
final class CogVideoXUpBlock3D {
    private final CogVideoXResnetBlock3D[] resnets;
    private final CogVideoXUpsample3D upsampler;

    CogVideoXUpBlock3D(WeightStore store, String prefix, int in, int out, int layers, int groups, float eps, int spatialNormDim,
                       boolean addUpsample, boolean compressTime) {
        this.resnets = new CogVideoXResnetBlock3D[layers];
        for (int i = 0; i < layers; i++) {
            resnets[i] = new CogVideoXResnetBlock3D(store, prefix + ".resnets." + i, i == 0 ? in : out, out, groups, eps, spatialNormDim);
        }
        this.upsampler = addUpsample ? new CogVideoXUpsample3D(store, prefix + ".upsamplers.0", out, out, compressTime) : null;
    }

    /** Parts {@link #forward} reports: two convolutions per resnet, and the upsampler. */
    int parts() {
        return CogVideoXResnetBlock3D.PARTS * resnets.length + (upsampler == null ? 0 : 1);
    }

    /** {@code [N, in, T, H, W] -> [N, out, T', H', W']}; {@code zq} the decoder's input latents. */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache) {
        return forward(x, zq, cache, RunContext.NONE, Tape.NONE);
    }

    /** As {@link #forward(Tensor, Tensor, ConvCache)}; each of {@link #parts} reported to {@code run}, recording on {@code tape}. */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache, RunContext run, Tape tape) {
        Tensor h = x;
        for (int i = 0; i < resnets.length; i++) {
            h = resnets[i].forward(h, zq, cache, PassParts.within(run, i * CogVideoXResnetBlock3D.PARTS, parts()), tape); // [N, out, T, H, W]
        }
        if (upsampler == null) {
            return h;
        }
        h = upsampler.forward(h, tape); // [N, out, T', 2H, 2W]
        PassParts.done(run, parts(), parts());
        return h;
    }

    /** From {@code g = dL/dout}, in reverse: returns {@code dL/dx}; the latents' gradient is added to {@code dzq}. */
    Tensor backward(Tensor g, Tensor dzq, Tape tape, Gradients grads) {
        Tensor d = upsampler == null ? g : upsampler.backward(g, tape, grads);
        for (int i = resnets.length - 1; i >= 0; i--) {
            d = resnets[i].backward(d, dzq, tape, grads);
        }
        return d;
    }
}
