package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.Resample;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

/**
 * Halves height and width (zero pad right and bottom by 1, then a 3x3 stride-2 Conv2d on every frame,
 * {@code <prefix>.conv.weight [C, C, 3, 3]}) and, with {@code compress_time}, first halves the frames by averaging
 * pairs, frame 0 kept alone when the count is odd (semantics.md, VAE: temporal downsampling is per batch).
 */
final class CogVideoXDownsample3D {
    private static final Conv3d.Geometry PAD_RIGHT_BOTTOM_STRIDE_2 = new Conv3d.Geometry(1, 2, 2, 0, 1, 0, 1);
    private final Weight weight;
    private final float[] bias;
    private final boolean compressTime;

    CogVideoXDownsample3D(WeightStore store, String prefix, int in, int out, boolean compressTime) {
        this.weight = store.weight(prefix + ".conv.weight", out, in, 3, 3);
        this.bias = store.tensor(prefix + ".conv.bias", out).data();
        this.compressTime = compressTime;
    }

    /** {@code [N, C, T, H, W] -> [N, C, T', H/2, W/2]} (rounded down), {@code T' = (T+1)/2} with compress_time, else T. */
    Tensor forward(Tensor x) {
        // 1. temporal average pooling of frame pairs
        Tensor h = compressTime ? Resample.temporalAvgPool(x) : x; // [N, C, T', H, W]
        // 2. pad (0, 1, 0, 1) and the stride-2 3x3 conv on every frame
        return Conv3d.forward(h, null, weight, bias, PAD_RIGHT_BOTTOM_STRIDE_2); // [N, C, T', H/2, W/2]
    }
}
