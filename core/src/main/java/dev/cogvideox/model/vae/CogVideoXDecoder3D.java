package dev.cogvideox.model.vae;

import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.Tape;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;

/**
 * The decoder: {@code conv_in}, {@code mid_block} (2 resnets), {@code up_blocks.0..3} ({@code layers_per_block + 1}
 * resnets each; the first {@code log2(temporal_compression_ratio)} also double time, all but the last double height
 * and width), {@code norm_out} (SpatialNorm3D) + SiLU, {@code conv_out}. Every norm is conditioned on this batch's
 * latents. Weights under {@code decoder.}.
 */
final class CogVideoXDecoder3D {
    private final CogVideoXCausalConv3d convIn;
    private final CogVideoXMidBlock3D midBlock;
    private final CogVideoXUpBlock3D[] upBlocks;
    private final CogVideoXSpatialNorm3D normOut;
    private final CogVideoXCausalConv3d convOut;

    CogVideoXDecoder3D(WeightStore store, AutoencoderKLCogVideoXConfig c) {
        int[] blocks = c.blockOutChannels();
        int n = blocks.length;
        int latent = c.latentChannels();
        this.convIn = new CogVideoXCausalConv3d(store, "decoder.conv_in", latent, blocks[n - 1], 3);
        this.midBlock = new CogVideoXMidBlock3D(store, "decoder.mid_block", blocks[n - 1], 2, c.normNumGroups(), c.normEps(), latent);
        this.upBlocks = new CogVideoXUpBlock3D[n];
        for (int i = 0; i < n; i++) {
            int in = i == 0 ? blocks[n - 1] : blocks[n - i];
            upBlocks[i] = new CogVideoXUpBlock3D(store, "decoder.up_blocks." + i, in, blocks[n - 1 - i], c.layersPerBlock() + 1,
                    c.normNumGroups(), c.normEps(), latent, i < n - 1, i < c.temporalCompressLevel());
        }
        this.normOut = new CogVideoXSpatialNorm3D(store, "decoder.norm_out", blocks[0], latent, c.normNumGroups());
        this.convOut = new CogVideoXCausalConv3d(store, "decoder.conv_out", blocks[0], c.outChannels(), 3);
    }

    /**
     * Parts of one {@link #forward} for progress: conv_in with the mid block, each up block's convolutions and
     * upsampler, conv_out. A full-size pass takes minutes on a CPU, mostly in the last up blocks at full resolution.
     */
    int parts() {
        int n = 2;
        for (CogVideoXUpBlock3D block : upBlocks) {
            n += block.parts();
        }
        return n;
    }

    /**
     * One latent frame batch: {@code [N, latent, t, h, w] -> [N, 3, T, 8h, 8w]}, carrying {@code cache} to the next
     * batch, reporting each of the {@link #parts} to {@code run} (its taps get {@code decoder.mid_block}) and
     * recording on {@code tape} ({@link Tape#NONE} for inference).
     */
    Tensor forward(Tensor z, ConvCache cache, RunContext run, Tape tape) {
        int parts = parts();
        Tensor h = convIn.forward(z, cache, tape); // [N, C3, t, h, w]
        // 1. mid
        h = midBlock.forward(h, z, cache, tape); // [N, C3, t, h, w]
        run.taps().tap("decoder.mid_block", h);
        PassParts.done(run, 1, parts);
        // 2. up
        int done = 1;
        for (CogVideoXUpBlock3D block : upBlocks) {
            h = block.forward(h, z, cache, PassParts.within(run, done, parts), tape); // [N, Ci, T', H', W']
            done += block.parts();
        }
        // 3. post-process
        normOut.normSilu(h, z, true, tape);
        Tensor out = convOut.forward(h, cache, tape); // [N, 3, T, H, W]
        PassParts.done(run, parts, parts);
        tape.push(this, z.shape());
        return out;
    }

    /**
     * From {@code g = dL/dframes}: the recorded forward in reverse; returns {@code dL/dz}, which sums conv_in's
     * gradient and every SpatialNorm's (they all read z).
     */
    Tensor backward(Tensor g, Tape tape, Gradients grads) {
        Tensor dz = Tensor.zeros(tape.pop(this, int[].class)); // [N, latent, t, h, w]
        Tensor d = convOut.backward(g, tape, grads);
        d = normOut.backward(d, dz, tape, grads);
        for (int i = upBlocks.length - 1; i >= 0; i--) {
            d = upBlocks[i].backward(d, dz, tape, grads);
        }
        d = midBlock.backward(d, dz, tape, grads);
        Ops.addInPlace(dz, convIn.backward(d, tape, grads));
        return dz; // [N, latent, t, h, w]
    }
}
