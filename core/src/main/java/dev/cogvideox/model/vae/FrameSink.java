package dev.cogvideox.model.vae;

import dev.cogvideox.tensor.Tensor;

/**
 * Receives decoded frames as soon as a frame batch is finished, so a caller can write them out without holding the
 * whole video. Calls come in order: sample 0's batches first, each batch's frames following the previous ones.
 */
@FunctionalInterface
public interface FrameSink {
    /**
     * @param sample     index of the sample in the latent batch
     * @param firstFrame index of {@code frames}' first frame in that sample's video
     * @param frames     {@code [1, out_channels, n, H, W]}, values roughly in [-1, 1] (not clamped)
     */
    void accept(int sample, int firstFrame, Tensor frames);
}
