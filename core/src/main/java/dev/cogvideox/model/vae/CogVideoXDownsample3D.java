package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Resample;
import dev.cogvideox.tensor.ResampleBackward;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * Halves height and width (zero pad right and bottom by 1, then a 3x3 stride-2 Conv2d on every frame,
 * {@code <prefix>.conv.weight [C, C, 3, 3]}) and, with {@code compress_time}, first halves the frames by averaging
 * pairs, frame 0 kept alone when the count is odd (semantics.md, VAE: temporal downsampling is per batch).
 */
final class CogVideoXDownsample3D {
    private static final Conv3d.Geometry PAD_RIGHT_BOTTOM_STRIDE_2 = new Conv3d.Geometry(1, 2, 2, 0, 1, 0, 1);
    private final String prefix;
    private final Weight weight;
    private final float[] bias;
    private final Kernels kernels;
    private final boolean compressTime;

    CogVideoXDownsample3D(WeightStore store, String prefix, int in, int out, boolean compressTime) {
        this.prefix = prefix;
        this.weight = store.weight(prefix + ".conv.weight", out, in, 3, 3);
        this.bias = store.tensor(prefix + ".conv.bias", out).data();
        this.kernels = store.kernels();
        this.compressTime = compressTime;
    }

    /** {@code [N, C, T, H, W] -> [N, C, T', H/2, W/2]} (rounded down), {@code T' = (T+1)/2} with compress_time, else T. */
    Tensor forward(Tensor x) {
        return forward(x, Tape.NONE);
    }

    /** {@link #forward(Tensor)}, saving the pooled input on {@code tape}. */
    Tensor forward(Tensor x, Tape tape) {
        // 1. temporal average pooling of frame pairs
        Tensor h = compressTime ? Resample.temporalAvgPool(x) : x; // [N, C, T', H, W]
        tape.push(this, new Saved(tape.keep(h), x.dim(2)));
        // 2. pad (0, 1, 0, 1) and the stride-2 3x3 conv on every frame
        return kernels.conv3d(h, null, weight, bias, PAD_RIGHT_BOTTOM_STRIDE_2); // [N, C, T', H/2, W/2]
    }

    private record Saved(Tensor pooled, int frames) {
    }

    /** From {@code g = dL/dout}: the conv's gradients, then the pooling's adjoint; returns {@code dL/dx}. */
    Tensor backward(Tensor g, Tape tape, Gradients grads) {
        Saved s = tape.pop(this, Saved.class);
        Tensor h = s.pooled();
        grads.add(weight.name(), kernels.conv3dWeightGrad(h, null, g, weight.shape(), PAD_RIGHT_BOTTOM_STRIDE_2));
        grads.add(prefix + ".conv.bias", kernels.conv3dBiasGrad(g));
        Tensor dh = kernels.conv3dInputGrad(g, weight, PAD_RIGHT_BOTTOM_STRIDE_2, h.dim(2), h.dim(3), h.dim(4)); // [N, C, T', H, W]
        return compressTime ? ResampleBackward.temporalAvgPool(dh, s.frames()) : dh; // [N, C, T, H, W]
    }

    @Override
    public String toString() {
        return prefix;
    }
}
