package dev.cogvideox.train;

import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Ops;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.loss.VPredictionLoss;
import dev.cogvideox.train.model.TrainTransformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

    /**
     * One clip of a packed (Frame Pack) text-to-video batch.
     *
     * @param latents      the clean latents {@code [1, F, C, H, W]}, already scaled
     * @param promptEmbeds {@code [1, T, text_embed_dim]}
     * @param timestep     the clip's timestep
     * @param noise        shaped like the latents
     * @param rope         the clip's RoPE table (RoPE models) or null
     */
    public record Clip(Tensor latents, Tensor promptEmbeds, long timestep, Tensor noise, Embeddings.RotaryTable rope) {
        public Clip {
            latents.requireShape("clip latents", 1, latents.dim(1), latents.dim(2), latents.dim(3), latents.dim(4));
            noise.requireShape("clip noise", latents.shape());
        }

        /** The same clip conditioned on other prompt embeddings (caption dropout's empty caption). */
        public Clip withPromptEmbeds(Tensor embeds) {
            return new Clip(latents, embeds, timestep, noise, rope);
        }
    }

    /** The loss of a packed batch (the mean of its clips' losses) and each clip's loss. */
    public record PackedResult(double loss, double[] clipLosses) {
    }

    /**
     * A Frame Pack batch: clips of any frame count and size in one pass (a core forward per clip, on one tape); each
     * clip's loss is that of {@link #run} on the clip alone, the batch loss is their mean, and so are the gradients.
     */
    public static PackedResult runPacked(TrainTransformer model, CogVideoXScheduler scheduler, List<Clip> clips) {
        // 1. noisy input per clip
        List<Tensor> noisy = new ArrayList<>();
        List<TrainTransformer.Clips> groups = new ArrayList<>();
        for (Clip c : clips) {
            Tensor x = VPredictionLoss.noisyInput(scheduler, c.latents(), c.noise(), new long[]{c.timestep()}); // [1, F, C, H, W]
            noisy.add(x);
            groups.add(new TrainTransformer.Clips(x, c.promptEmbeds(), new float[]{c.timestep()}, c.rope()));
        }

        // 2. the transformer forward of every clip, on one tape
        TrainTransformer.Pass pass = model.forward(groups, null);

        // 3. per-clip losses, their mean, and the backward pass of the mean
        double[] losses = new double[clips.size()];
        List<Tensor> grads = new ArrayList<>();
        float share = 1f / clips.size();
        for (int i = 0; i < clips.size(); i++) {
            Clip c = clips.get(i);
            VPredictionLoss.Value v = VPredictionLoss.evaluate(scheduler, pass.outputs().get(i), noisy.get(i), c.latents(), new long[]{c.timestep()});
            losses[i] = v.loss();
            grads.add(Ops.scale(v.dModelOutput(), share));
        }
        model.backward(pass, grads);
        return new PackedResult(Arrays.stream(losses).average().orElseThrow(), losses);
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
