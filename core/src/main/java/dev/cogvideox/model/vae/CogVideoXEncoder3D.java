package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.Tensor;

/**
 * The encoder: {@code conv_in}, {@code down_blocks.0..3} (the first {@code log2(temporal_compression_ratio)} also
 * halve time, all but the last halve height and width), {@code mid_block} (2 resnets), {@code norm_out} (GroupNorm,
 * eps 1e-6) + SiLU, {@code conv_out} to {@code 2 x latent_channels} (mean and log-variance). Weights under
 * {@code encoder.}.
 */
final class CogVideoXEncoder3D {
    private final CogVideoXCausalConv3d convIn;
    private final CogVideoXDownBlock3D[] downBlocks;
    private final CogVideoXMidBlock3D midBlock;
    private final GroupNormLayer normOut;
    private final CogVideoXCausalConv3d convOut;

    CogVideoXEncoder3D(WeightStore store, AutoencoderKLCogVideoXConfig c) {
        int[] blocks = c.blockOutChannels();
        int last = blocks[blocks.length - 1];
        this.convIn = new CogVideoXCausalConv3d(store, "encoder.conv_in", c.inChannels(), blocks[0], 3);
        this.downBlocks = new CogVideoXDownBlock3D[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            int in = i == 0 ? blocks[0] : blocks[i - 1];
            downBlocks[i] = new CogVideoXDownBlock3D(store, "encoder.down_blocks." + i, in, blocks[i], c.layersPerBlock(),
                    c.normNumGroups(), c.normEps(), i < blocks.length - 1, i < c.temporalCompressLevel());
        }
        this.midBlock = new CogVideoXMidBlock3D(store, "encoder.mid_block", last, 2, c.normNumGroups(), c.normEps(), 0);
        this.normOut = new GroupNormLayer(store, "encoder.norm_out", last, c.normNumGroups(), 1e-6f);
        this.convOut = new CogVideoXCausalConv3d(store, "encoder.conv_out", last, 2 * c.latentChannels(), 3);
    }

    /** Parts of one {@link #forward} for progress: conv_in, each down block's convolutions and downsampler, the mid block with conv_out. */
    int parts() {
        int n = 2;
        for (CogVideoXDownBlock3D block : downBlocks) {
            n += block.parts();
        }
        return n;
    }

    /** One frame batch: {@code [N, 3, T, H, W] -> [N, 2*latent, t, H/8, W/8]}, carrying {@code cache} to the next batch. */
    Tensor forward(Tensor x, ConvCache cache) {
        return forward(x, cache, RunContext.NONE, Tape.NONE);
    }

    /**
     * {@link #forward(Tensor, ConvCache)}, reporting each of the {@link #parts} to {@code run} and recording on
     * {@code tape} ({@link Tape#NONE} for inference).
     */
    Tensor forward(Tensor x, ConvCache cache, RunContext run, Tape tape) {
        int parts = parts();
        Tensor h = convIn.forward(x, cache, tape); // [N, C0, T, H, W]
        PassParts.done(run, 1, parts);
        // 1. down
        int done = 1;
        for (CogVideoXDownBlock3D block : downBlocks) {
            h = block.forward(h, cache, PassParts.within(run, done, parts), tape); // [N, Ci, T', H', W']
            done += block.parts();
        }
        // 2. mid
        h = midBlock.forward(h, null, cache, tape); // [N, C3, t, h, w]
        // 3. post-process
        normOut.normSilu(h, null, true, tape);
        h = convOut.forward(h, cache, tape); // [N, 2*latent, t, h, w]
        PassParts.done(run, parts, parts);
        return h;
    }

    /** From {@code g = dL/dmoments}: the recorded forward in reverse; returns {@code dL/dx}. */
    Tensor backward(Tensor g, Tape tape, Gradients grads) {
        Tensor d = convOut.backward(g, tape, grads);
        d = normOut.backward(d, null, tape, grads);
        d = midBlock.backward(d, null, tape, grads);
        for (int i = downBlocks.length - 1; i >= 0; i--) {
            d = downBlocks[i].backward(d, tape, grads);
        }
        return convIn.backward(d, tape, grads); // [N, 3, T, H, W]
    }
}
