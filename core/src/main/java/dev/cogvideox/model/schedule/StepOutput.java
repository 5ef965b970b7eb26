package dev.cogvideox.model.schedule;

import dev.cogvideox.tensor.Tensor;

/**
 * What one scheduler step returns, as diffusers' {@code (prev_sample, pred_original_sample)}.
 *
 * @param prevSample         x_{t-1}, the next model input (the last step's is the result)
 * @param predOriginalSample the predicted x_0 of this step
 */
public record StepOutput(Tensor prevSample, Tensor predOriginalSample) {
}
