package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.Conv3d;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Resample;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;

import java.util.List;

/**
 * A 3D convolution made causal in time (pad mode "first"): {@code kt - 1} frames go in front of the input, copies of
 * frame 0 in the first frame batch, the cached frames of the previous batch afterwards; height and width are
 * zero-padded by {@code (k - 1) / 2}. Weights {@code <prefix>.conv.weight [Cout, Cin, k, k, k]} and
 * {@code <prefix>.conv.bias}.
 */
final class CogVideoXCausalConv3d {
    private final String name;
    private final Weight weight;
    private final float[] bias;
    private final Kernels kernels;
    private final int timeKernel;
    private final Conv3d.Geometry geometry;

    CogVideoXCausalConv3d(WeightStore store, String prefix, int inChannels, int outChannels, int kernel) {
        this.name = prefix;
        this.weight = store.weight(prefix + ".conv.weight", outChannels, inChannels, kernel, kernel, kernel);
        this.bias = store.tensor(prefix + ".conv.bias", outChannels).data();
        this.kernels = store.kernels();
        this.timeKernel = kernel;
        this.geometry = Conv3d.Geometry.same((kernel - 1) / 2);
    }

    /** {@code [N, Cin, T, H, W] -> [N, Cout, T, H, W]}, updating this conv's entry of {@code cache}. */
    Tensor forward(Tensor x, ConvCache cache) {
        return forward(x, cache, Tape.NONE);
    }

    /** {@link #forward(Tensor, ConvCache)}, saving its input on {@code tape}. */
    Tensor forward(Tensor x, ConvCache cache, Tape tape) {
        return kernels.conv3d(x, front(x, cache, tape), weight, bias, geometry); // [N, Cout, T, H, W]
    }

    /** {@link #forward} written over {@code x} (needs {@code Cin == Cout}): one frame of scratch instead of a new volume. */
    Tensor forwardInPlace(Tensor x, ConvCache cache, Tape tape) {
        return kernels.conv3dInPlace(x, front(x, cache, tape), weight, bias, geometry); // x, now [N, Cout, T, H, W]
    }

    /** {@code out += forward(x)}: the convolution summed into {@code out [N, Cout, T, H, W]} (a residual) in one pass. */
    void accumulate(Tensor x, ConvCache cache, Tensor out, Tape tape) {
        kernels.conv3dAccumulate(x, front(x, cache, tape), weight, bias, geometry, out);
    }

    /** What the backward needs: the input and, after the first frame batch, the cached frames that led it. */
    private record Saved(Tensor input, Tensor cachedFront) {
    }

    /**
     * From {@code g = dL/dout}: adds dL/dweight and dL/dbias to {@code grads} and returns {@code dL/dx}. The leading
     * frames' gradient goes to frame 0 when they were its copies; when they were the previous frame batch's last
     * frames it is left on the tape for this conv's backward of that batch (which comes next), which adds it to its
     * input's last frames.
     */
    Tensor backward(Tensor g, Tape tape, Gradients grads) {
        Saved saved = tape.pop(this, Saved.class);
        Tensor x = saved.input(); // [N, Cin, T, H, W]
        Tensor front = timeKernel == 1 ? null : saved.cachedFront() != null ? saved.cachedFront() : firstFrameRepeated(x);
        grads.add(weight.name(), kernels.conv3dWeightGrad(x, front, g, weight.shape(), geometry));
        grads.add(name + ".conv.bias", kernels.conv3dBiasGrad(g));
        Tensor padded = kernels.conv3dInputGrad(g, weight, geometry, x.dim(2) + timeKernel - 1, x.dim(3), x.dim(4)); // [N, Cin, kt-1+T, H, W]
        if (timeKernel == 1) {
            return padded;
        }
        int n = timeKernel - 1, t = x.dim(2), hw = x.dim(3) * x.dim(4);
        float[] pd = padded.data();
        // 1. the next batch's gradient of the frames it took from this one: the last kt-1 frames of front ++ x
        Tensor carried = tape.takeCarried(this);
        if (carried != null) {
            float[] cd = carried.data();
            for (int plane = 0; plane < x.dim(0) * x.dim(1); plane++) {
                for (int i = 0; i < n * hw; i++) {
                    pd[(plane * (n + t) + t) * hw + i] += cd[plane * n * hw + i];
                }
            }
        }
        Tensor dx = Layout.narrow(padded, 2, n, t); // [N, Cin, T, H, W]
        // 2. the leading frames' gradient: to the previous batch, or folded into frame 0 (its copies)
        if (saved.cachedFront() != null) {
            tape.carry(this, Layout.narrow(padded, 2, 0, n)); // [N, Cin, kt-1, H, W]
        } else {
            float[] dd = dx.data();
            for (int plane = 0; plane < x.dim(0) * x.dim(1); plane++) {
                for (int f = 0; f < n; f++) {
                    int src = (plane * (t + n) + f) * hw, dst = plane * t * hw;
                    for (int i = 0; i < hw; i++) {
                        dd[dst + i] += pd[src + i];
                    }
                }
            }
        }
        return dx;
    }

    @Override
    public String toString() {
        return name;
    }

    private Tensor firstFrameRepeated(Tensor x) {
        return Resample.gather(x, new int[timeKernel - 1], Resample.identity(x.dim(3)), Resample.identity(x.dim(4))); // [N, Cin, kt-1, H, W]
    }

    /**
     * The frames in front of {@code x} (null for a kernel of 1), after storing the next batch's in {@code cache}; saves
     * a copy of {@code x} on a recording tape.
     */
    private Tensor front(Tensor x, ConvCache cache, Tape tape) {
        if (tape.isRecording()) {
            tape.push(this, new Saved(tape.keep(x), cache.get(name))); // the cached frames are a copy nothing writes to
        }
        if (timeKernel == 1) {
            return null;
        }
        // 1. causal padding (semantics.md, VAE: conv cache): the previous batch's last frames, else frame 0 repeated
        Tensor front = cache.get(name);
        if (front == null) {
            front = firstFrameRepeated(x);
        }
        // 2. the new cache: the last kt-1 frames of the padded input front ++ x (copied: x may be overwritten next)
        cache.put(name, lastFrames(front, x, timeKernel - 1)); // [N, Cin, kt-1, H, W]
        return front;
    }

    private static Tensor lastFrames(Tensor front, Tensor x, int n) {
        int t = x.dim(2);
        if (t >= n) {
            return Layout.narrow(x, 2, t - n, n);
        }
        return Layout.cat(2, List.of(Layout.narrow(front, 2, front.dim(2) - (n - t), n - t), x));
    }
}
