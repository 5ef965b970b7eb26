package dev.cogvideox.pipeline;

import dev.cogvideox.tensor.Tensor;

/** Receives finished frames in order: sample 0's frames first, each batch following the previous one. */
@FunctionalInterface
public interface FrameOutput {
    /**
     * @param sample     which video of the batch
     * @param firstFrame index of the first of {@code frames} in that video
     * @param frames     {@code [n, 3, H, W]} in [0, 1]
     */
    void accept(int sample, int firstFrame, Tensor frames);
}
