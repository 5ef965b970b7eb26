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
 * Doubles height and width (nearest) and, with {@code compress_time}, the frames: an odd count above 1 keeps frame 0
 * single and doubles the rest, an even count doubles all, one frame stays one (semantics.md, VAE: temporal
 * upsampling). Then a 3x3 Conv2d with padding 1 on every frame, {@code <prefix>.conv.weight [C, C, 3, 3]}.
 */
final class CogVideoXUpsample3D {
    private final String prefix;
    private final Weight weight;
    private final float[] bias;
    private final Kernels kernels;
    private final boolean compressTime;

    CogVideoXUpsample3D(WeightStore store, String prefix, int in, int out, boolean compressTime) {
        this.prefix = prefix;
        this.weight = store.weight(prefix + ".conv.weight", out, in, 3, 3);
        this.bias = store.tensor(prefix + ".conv.bias", out).data();
        this.kernels = store.kernels();
        this.compressTime = compressTime;
    }

    /** {@code [N, C, T, H, W] -> [N, C, T', 2H, 2W]}: {@code T' = 2T - T%2} with compress_time, else T. */
    Tensor forward(Tensor x) {
        return forward(x, Tape.NONE);
    }

    /** {@link #forward(Tensor)}, saving its (small) input on {@code tape}: backward redoes the upsampling. */
    Tensor forward(Tensor x, Tape tape) {
        tape.push(this, tape.keep(x));
        // 1. nearest upsampling: frame 0 apart for odd counts, as in CogVideoXSpatialNorm3D's resize
        Tensor h = upsample(x); // [N, C, T', 2H, 2W]
        // 2. the 3x3 conv on every frame, written over the upsampled volume (one frame of scratch)
        return kernels.conv3dInPlace(h, null, weight, bias, Conv3d.Geometry.same(1)); // [N, C, T', 2H, 2W]
    }

    private int[] frameIndex(int t) {
        return compressTime ? Resample.causalFrameIndex(t, 2 * t - t % 2) : Resample.identity(t);
    }

    private Tensor upsample(Tensor x) {
        return Resample.gather(x, frameIndex(x.dim(2)), Resample.nearestIndex(x.dim(3), 2 * x.dim(3)),
                Resample.nearestIndex(x.dim(4), 2 * x.dim(4))); // [N, C, T', 2H, 2W]
    }

    /** From {@code g = dL/dout}: the conv's gradients, then the upsampling's adjoint; returns {@code dL/dx}. */
    Tensor backward(Tensor g, Tape tape, Gradients grads) {
        Tensor x = tape.pop(this, Tensor.class);
        Tensor h = upsample(x); // [N, C, T', 2H, 2W]
        grads.add(weight.name(), kernels.conv3dWeightGrad(h, null, g, weight.shape(), Conv3d.Geometry.same(1)));
        grads.add(prefix + ".conv.bias", kernels.conv3dBiasGrad(g));
        Tensor dh = kernels.conv3dInputGrad(g, weight, Conv3d.Geometry.same(1), h.dim(2), h.dim(3), h.dim(4));
        return ResampleBackward.gather(dh, frameIndex(x.dim(2)), Resample.nearestIndex(x.dim(3), 2 * x.dim(3)),
                Resample.nearestIndex(x.dim(4), 2 * x.dim(4)), x.dim(2), x.dim(3), x.dim(4)); // [N, C, T, H, W]
    }

    @Override
    public String toString() {
        return prefix;
    }
}
