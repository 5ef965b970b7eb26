package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/**
 * The VAE's residual block: {@code x + conv2(silu(norm2(conv1(silu(norm1(x))))))}, with a 1x1x1
 * {@code conv_shortcut} on {@code x} when the channel count changes. The norms are GroupNorms in the encoder and
 * {@link CogVideoXSpatialNorm3D} in the decoder ({@code spatialNormDim} = latent channels). No time embedding
 * (temb_channels 0), dropout 0.
 */
final class CogVideoXResnetBlock3D {
    /** Parts of a forward for progress: its two convolutions. */
    static final int PARTS = 2;

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

    /**
     * {@code [N, in, T, H, W] -> [N, out, T, H, W]}; {@code zq} the decoder's latents or null in the encoder. Consumes
     * {@code x}: it is overwritten (and returned, holding the output) when the channel count stays.
     *
     * <p>Memory: two volumes at a time. With {@code in == out}: norm1's output is a new volume, conv1 overwrites it,
     * conv2 sums into {@code x} (the residual). Otherwise the shortcut comes first (the reference adds it last; a sum
     * of two terms is the same either way), norm1 then overwrites {@code x}, conv1 makes the only other volume and
     * conv2 sums into the shortcut's output.
     */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache) {
        return forward(x, zq, cache, RunContext.NONE, Tape.NONE);
    }

    /** {@link #forward(Tensor, Tensor, ConvCache)}, recording on {@code tape}. */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache, Tape tape) {
        return forward(x, zq, cache, RunContext.NONE, tape);
    }

    /**
     * As {@link #forward(Tensor, Tensor, ConvCache)}, reporting each of its {@link #PARTS} convolutions to {@code run}
     * ({@link PassParts}) and recording on {@code tape}.
     */
    Tensor forward(Tensor x, Tensor zq, ConvCache cache, RunContext run, Tape tape) {
        if (convShortcut == null) {
            // 1. norm1 + silu into a new volume, conv1 over it
            Tensor h = norm1.normSilu(x, zq, false, tape); // [N, C, T, H, W]
            conv1.forwardInPlace(h, cache, tape); // [N, C, T, H, W]
            PassParts.done(run, 1, PARTS);
            // 2. norm2 + silu in place, conv2 summed into x: the residual x + h
            norm2.normSilu(h, zq, true, tape);
            conv2.accumulate(h, cache, x, tape); // [N, C, T, H, W]
            PassParts.done(run, 2, PARTS);
            return x;
        }
        // 1. the shortcut of x, then norm1 + silu over x itself and conv1
        Tensor out = convShortcut.forward(x, tape); // [N, out, T, H, W]
        norm1.normSilu(x, zq, true, tape);
        Tensor h = conv1.forward(x, cache, tape); // [N, out, T, H, W]
        PassParts.done(run, 1, PARTS);
        // 2. norm2 + silu in place, conv2 summed into the shortcut
        norm2.normSilu(h, zq, true, tape);
        conv2.accumulate(h, cache, out, tape); // [N, out, T, H, W]
        PassParts.done(run, 2, PARTS);
        return out;
    }

    /**
     * From {@code g = dL/dout}: the branch in reverse (conv2, norm2, conv1, norm1), plus the identity or shortcut path.
     * Adds parameter gradients to {@code grads} and the latents' to {@code dzq} (decoder; null in the encoder).
     */
    Tensor backward(Tensor g, Tensor dzq, Tape tape, Gradients grads) {
        Tensor d = conv2.backward(g, tape, grads);
        d = norm2.backward(d, dzq, tape, grads);
        d = conv1.backward(d, tape, grads);
        d = norm1.backward(d, dzq, tape, grads); // [N, in, T, H, W]
        Ops.addInPlace(d, convShortcut == null ? g : convShortcut.backward(g, tape, grads));
        return d;
    }
}
