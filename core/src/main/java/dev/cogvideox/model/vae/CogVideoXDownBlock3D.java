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
    /** Parts {@link #forward} reports: two convolutions per resnet, and the downsampler. */
    int parts() {
        return 2 * resnets.length + (downsampler == null ? 0 : 1);
    }

    /** {@code [N, in, T, H, W] -> [N, out, T', H', W']}, calling {@code partDone} after each of {@link #parts}. */
    Tensor forward(Tensor x, ConvCache cache, Runnable partDone) {
        Tensor h = x;
        for (CogVideoXResnetBlock3D resnet : resnets) {
            h = resnet.forward(h, null, cache, partDone); // [N, out, T, H, W]
        }
        if (downsampler == null) {
            return h;
        }
        h = downsampler.forward(h); // [N, out, T', H/2, W/2]
        partDone.run();
        return h;
    }
}
