package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.GroupNorm;
import dev.cogvideox.tensor.GroupNormBackward;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Resample;
import dev.cogvideox.tensor.Tensor;

/**
 * Spatially conditioned normalisation (arXiv 2209.09002): {@code GroupNorm(f) * conv_y(zq') + conv_b(zq')}, where
 * {@code zq'} is the latent {@code zq} resized (nearest) to the size of {@code f}, frame 0 resized on its own when
 * {@code f} has an odd frame count above 1 (semantics.md, VAE: SpatialNorm3D). Weights {@code <prefix>.norm_layer.*}
 * (GroupNorm, eps 1e-6), {@code <prefix>.conv_y.conv.*} and {@code <prefix>.conv_b.conv.*} (1x1x1 causal convs).
 *
 * <p>conv_y and conv_b act on each position alone, so they commute with the nearest resize: they run on the small
 * latent grid and the GroupNorm kernel reads their outputs through the resize's index maps. Same numbers, without
 * the full-resolution {@code zq'}, {@code conv_y} and {@code conv_b} volumes.
 */
final class CogVideoXSpatialNorm3D implements ResnetNorm {
    private static final float EPS = 1e-6f;
    private final String prefix;
    private final int groups;
    private final Tensor weight;
    private final Tensor bias;
    private final Kernels kernels;
    private final CogVideoXCausalConv3d convY;
    private final CogVideoXCausalConv3d convB;

    CogVideoXSpatialNorm3D(WeightStore store, String prefix, int fChannels, int zqChannels, int groups) {
        this.prefix = prefix;
        this.groups = groups;
        this.weight = store.tensor(prefix + ".norm_layer.weight", fChannels);
        this.bias = store.tensor(prefix + ".norm_layer.bias", fChannels);
        this.kernels = store.kernels();
        this.convY = new CogVideoXCausalConv3d(store, prefix + ".conv_y", zqChannels, fChannels, 1);
        this.convB = new CogVideoXCausalConv3d(store, prefix + ".conv_b", zqChannels, fChannels, 1);
    }

    @Override
    public Tensor normSilu(Tensor f, Tensor zq, boolean inPlace, Tape tape) {
        // 1. conv_y and conv_b on the latent grid (kernel 1: no causal padding, no cache)
        ConvCache none = new ConvCache();
        Tensor y = convY.forward(zq, none, tape); // [N, C, t, h, w]
        Tensor b = convB.forward(zq, none, tape); // [N, C, t, h, w]
        // 2. the nearest resize of zq to f's size as index maps: frame 0 apart when f's frame count is odd and > 1
        GroupNorm.Modulation mod = new GroupNorm.Modulation(y, b,
                Resample.causalFrameIndex(zq.dim(2), f.dim(2)),
                Resample.nearestIndex(zq.dim(3), f.dim(3)),
                Resample.nearestIndex(zq.dim(4), f.dim(4)));
        tape.push(this, new Saved(tape.keep(f), mod));
        // 3. silu(GroupNorm(f) * conv_y + conv_b)
        Tensor out = inPlace ? f : Tensor.zeros(f.shape()); // [N, C, T, H, W]
        kernels.groupNorm(f, groups, weight, bias, EPS, mod, true, out);
        return out;
    }

    private record Saved(Tensor f, GroupNorm.Modulation mod) {
    }

    @Override
    public Tensor backward(Tensor g, Tensor dzq, Tape tape, Gradients grads) {
        Saved s = tape.pop(this, Saved.class);
        GroupNormBackward.Grads d = kernels.groupNormBackward(s.f(), groups, weight, bias, EPS, s.mod(), true, g);
        grads.add(prefix + ".norm_layer.weight", d.dWeight());
        grads.add(prefix + ".norm_layer.bias", d.dBias());
        // the modulation's gradients are already summed onto the latent grid (the nearest resize's adjoint)
        Ops.addInPlace(dzq, convB.backward(d.dShift(), tape, grads));
        Ops.addInPlace(dzq, convY.backward(d.dScale(), tape, grads));
        return d.dx();
    }

    @Override
    public String toString() {
        return prefix;
    }
}
