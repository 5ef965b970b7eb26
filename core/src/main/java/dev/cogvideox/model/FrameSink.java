package dev.cogvideox.model;

import dev.cogvideox.tensor.Tensor;

/**
 * Receives frames as soon as a batch of them is finished, so a caller can write them out without holding the whole
 * video. Calls come in order: sample 0's batches first, each batch's frames following the previous ones. The layout
 * is the producer's: the VAE hands over {@code [1, out_channels, n, H, W]} as decoded (roughly [-1, 1], not
 * clamped), a pipeline {@code [n, 3, H, W]} in [0, 1].
 */
@FunctionalInterface
public interface FrameSink {
    /**
     * @param sample     index of the sample (video) in the batch
     * @param firstFrame index of {@code frames}' first frame in that sample's video
     * @param frames     the {@code n} frames, in the producer's layout
     */
    void accept(int sample, int firstFrame, Tensor frames);
}
