package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/**
 * The VAE's residual block: {@code x + conv2(silu(norm2(conv1(silu(norm1(x))))))}, with a 1x1x1
 * {@code conv_shortcut} on {@code x} when the channel count changes. The norms are GroupNorms in the encoder and
 * {@link CogVideoXSpatialNorm3D} in the decoder ({@code spatialNormDim} = latent channels). No time embedding
 * (temb_channels 0), dropout 0.
 */
final class CogVideoXResnetBlock3D {
    private final ResnetNorm norm1;
    private final CogVideoXCausalConv3d conv1;
    private final ResnetNorm norm2;
    private final CogVideoXCausalConv3d conv2;
    private final CogVideoXSafeConv3d convShortcut;

    /** {@code spatialNormDim} 0 selects GroupNorm (encoder), otherwise SpatialNorm3D on that many latent channels. */
    CogVideoXResnetBlock3D(WeightStore store, String prefix, int in, int out, int groups, float eps, int spatialNormDim) {
        this.norm1 = norm(store, prefix + ".norm1", in, groups, eps, spatialNormDim);
        this.conv1 = new CogVideoXCausalConv3d(store, prefix + ".conv1", in, out, 3);
        this.norm2 = norm(store, prefix + ".norm2", out, groups, eps, spatialNormDim);
        this.conv2 = new CogVideoXCausalConv3d(store, prefix + ".conv2", out, out, 3);
        this.convShortcut = in == out ? null : new CogVideoXSafeConv3d(store, prefix + ".conv_shortcut", in, out);
    }

    private static ResnetNorm norm(WeightStore store, String prefix, int channels, int groups, float eps, int spatialNormDim) {
        return spatialNormDim == 0 ? new GroupNormLayer(store, prefix, channels, groups, eps)
                : new CogVideoXSpatialNorm3D(store, prefix, channels, spatialNormDim, groups);
    }

    /** {@code [N, in, T, H, W] -> [N, out, T, H, W]}; {@code zq} the decoder's latents or null in the encoder. */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache) {
        // 1. norm1 + silu, conv1
        Tensor h = norm1.normSilu(x, zq, false); // [N, in, T, H, W]
        h = conv1.forward(h, cache); // [N, out, T, H, W]
        // 2. norm2 + silu (in place: conv1's output is not needed again), conv2
        norm2.normSilu(h, zq, true);
        h = conv2.forward(h, cache); // [N, out, T, H, W]
        // 3. residual
        Ops.addInPlace(h, convShortcut == null ? x : convShortcut.forward(x));
        return h;
    }
}
