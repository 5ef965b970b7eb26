package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Tape;
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
    /** Parts {@link #forward} reports: two convolutions per resnet, and the downsampler. */
    int parts() {
        return CogVideoXResnetBlock3D.PARTS * resnets.length + (downsampler == null ? 0 : 1);
    }

    Tensor forward(Tensor x, ConvCache cache) {
        return forward(x, cache, RunContext.NONE, Tape.NONE);
    }

    /**
     * {@code [N, in, T, H, W] -> [N, out, T', H', W']}, reporting each of {@link #parts} to {@code run} and recording
     * on {@code tape} ({@link Tape#NONE} for inference).
     */
    Tensor forward(Tensor x, ConvCache cache, RunContext run, Tape tape) {
        Tensor h = x;
        for (int i = 0; i < resnets.length; i++) {
            h = resnets[i].forward(h, null, cache, PassParts.within(run, i * CogVideoXResnetBlock3D.PARTS, parts()), tape); // [N, out, T, H, W]
        }
        if (downsampler == null) {
            return h;
        }
        h = downsampler.forward(h, tape); // [N, out, T', H/2, W/2]
        PassParts.done(run, parts(), parts());
        return h;
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
