package dev.cogvideox.train;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.loss.VPredictionLoss;
import dev.cogvideox.train.model.TrainTransformer;

/**
 * The loop body of diffusers' {@code train_cogvideox_lora.py} / {@code train_cogvideox_image_to_video_lora.py} up to
 * (not including) clipping and the optimizer step: noise the latents, run the transformer, evaluate the loss and
 * back-propagate it into the trainable parameters' gradients (which accumulate: zero them between steps).
 */
public final class TrainingStep {
    private TrainingStep() {
    }

    /**
     * One batch. Latents {@code [B, F, C, H, W]} already multiplied by the VAE scaling factor.
     *
     * @param latents      the clean video latents (the target x0)
     * @param imageLatents I2V conditioning latents, concatenated after the noisy latents on the channel axis, or null
     * @param promptEmbeds {@code [B, T, text_embed_dim]}
     * @param timesteps    one int64 timestep per sample
     * @param noise        the noise, shaped like the latents
     * @param rope         RoPE table (RoPE models) or null
     * @param ofs          the 1.5-I2V ofs value or null
     */
    public record Batch(Tensor latents, Tensor imageLatents, Tensor promptEmbeds, long[] timesteps, Tensor noise,
                        Embeddings.RotaryTable rope, float[] ofs) {
    }

    /** The noisy latents, the transformer output and the loss with its gradient. */
    public record Result(Tensor noisyLatents, Tensor modelOutput, VPredictionLoss.Value loss) {
    }

    public static Result run(TrainTransformer model, CogVideoXScheduler scheduler, Batch batch) {
        // 1. noisy input: add_noise on the video latents, then [noisy, image] on the channel axis for I2V
        Tensor noisy = VPredictionLoss.noisyInput(scheduler, batch.latents(), batch.noise(), batch.timesteps()); // [B, F, C, H, W]
        Tensor input = batch.imageLatents() == null ? noisy : Layout.cat(2, noisy, batch.imageLatents());

        // 2. transformer forward
        float[] t = new float[batch.timesteps().length];
        for (int i = 0; i < t.length; i++) {
            t[i] = batch.timesteps()[i];
        }
        TrainTransformer.Pass pass = model.forward(input, batch.promptEmbeds(), t, batch.rope(), batch.ofs());

        // 3. loss and backward
        VPredictionLoss.Value loss = VPredictionLoss.evaluate(scheduler, pass.output(), noisy, batch.latents(), batch.timesteps());
        model.backward(pass, loss.dModelOutput());
        return new Result(noisy, pass.output(), loss);
    }
}
