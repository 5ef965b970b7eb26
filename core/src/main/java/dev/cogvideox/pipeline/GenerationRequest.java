package dev.cogvideox.pipeline;

import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.tensor.Tensor;

import java.util.List;

/**
 * What to generate. Prompts are strings (encoded by the model's T5) or ready embeddings; everything else has the
 * reference pipeline's meaning. Build with {@link #builder()}.
 *
 * @param prompts                one prompt per video (ignored when {@code promptEmbeds} is given)
 * @param negativePrompts        one per prompt, or null for "" (diffusers' default)
 * @param promptEmbeds           {@code [B, T, text_dim]}, or null to encode {@code prompts}
 * @param negativePromptEmbeds   {@code [B, T, text_dim]}, or null
 * @param image                  image-to-video conditioning frame {@code [B, 3, H, W]} in [0, 1], or null
 * @param video                  video-to-video source {@code [B, F, 3, H, W]} in [0, 1] (F = numFrames), or null
 * @param strength               video-to-video: how much of the schedule is re-noised (1 = all of it)
 * @param latents                initial latents {@code [B, F_latent, C, H/8, W/8]}, or null to draw them
 * @param numFrames              video frames asked for, any count from 1 as in diffusers: {@code (numFrames - 1) / 4 + 1}
 *                               latent frames, decoded to {@link CogVideoXPipeline#outputFrames} frames (numFrames
 *                               itself for the 1 + 8k counts the models were trained on, e.g. 49; 16 for 13)
 * @param useDynamicCfg          the reference's dynamic guidance scale (see ClassifierFreeGuidance)
 * @param maxSequenceLength      prompt tokens (the transformer's max_text_seq_length: 226 for the real models)
 * @param tiling                 decode (and encode) in overlapping spatial tiles, which bounds memory: diffusers'
 *                               {@code enable_tiling(...)} with its tile size and overlap, or {@link VaeTiling#OFF}
 * @param sampling               custom timesteps and step caching ({@link Sampling#DEFAULT}: the reference loop)
 */
public record GenerationRequest(List<String> prompts, List<String> negativePrompts, Tensor promptEmbeds, Tensor negativePromptEmbeds,
                                Tensor image, Tensor video, double strength, Tensor latents, int numFrames, int height, int width, int numInferenceSteps,
                                double guidanceScale, boolean useDynamicCfg, int maxSequenceLength, VaeTiling tiling,
                                Sampling sampling) {

    public GenerationRequest {
        if (promptEmbeds == null && (prompts == null || prompts.isEmpty())) {
            throw new IllegalArgumentException("a prompt (or prompt embeddings) is required");
        }
        if (negativePrompts != null && prompts != null && negativePrompts.size() != prompts.size()) {
            throw new IllegalArgumentException(negativePrompts.size() + " negative prompts for " + prompts.size() + " prompts");
        }
        if (image != null && video != null) {
            throw new IllegalArgumentException("give an image (image-to-video) or a video (video-to-video), not both");
        }
        if (video != null && (strength <= 0 || strength > 1)) {
            throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
        }
        if (numInferenceSteps < 1 || numInferenceSteps > 1000) {
            throw new IllegalArgumentException("steps must be between 1 and 1000, got " + numInferenceSteps);
        }
        if (video != null && (int) (numInferenceSteps * strength) < 1) {
            // get_timesteps keeps int(steps x strength) steps: none here, and diffusers' loop then returns an empty video
            double smallest = Math.ceil(1000.0 / numInferenceSteps) / 1000;
            while ((int) (numInferenceSteps * smallest) < 1) {
                smallest += 0.001;
            }
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "video-to-video with strength %s and %d steps denoises "
                    + "int(%d x %s) = 0 steps; the smallest strength for %d steps is %.3f (or give more steps)",
                    strength, numInferenceSteps, numInferenceSteps, strength, numInferenceSteps, smallest));
        }
        if (numFrames < 1) {
            throw new IllegalArgumentException("frames must be at least 1, got " + numFrames);
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must be Sampling.DEFAULT or a sampling, not null");
        }
        if (tiling == null) {
            throw new IllegalArgumentException("tiling must be VaeTiling.OFF or a tiling, not null");
        }
        if (height <= 0 || width <= 0 || height % 16 != 0 || width % 16 != 0) {
            throw new IllegalArgumentException("height and width must be positive multiples of 16 (8x VAE, 2x patch), got " + width + "x" + height);
        }
    }

    /** Whether the VAE tiles. */
    public boolean vaeTiling() {
        return tiling.enabled();
    }

    /** Number of videos: prompts, or the batch of the given embeddings. */
    public int batchSize() {
        return promptEmbeds != null ? promptEmbeds.dim(0) : prompts.size();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder with the pipeline's defaults for the tiny test models (callers set the real operating point). */
    public static final class Builder {
        private List<String> prompts;
        private List<String> negativePrompts;
        private Tensor promptEmbeds, negativePromptEmbeds, image, video, latents;
        private double strength = 0.8;
        private int numFrames = 49, height = 480, width = 720, steps = 50, maxSequenceLength = 226;
        private double guidanceScale = 6.0;
        private boolean dynamicCfg;
        private VaeTiling tiling = VaeTiling.OFF;
        private Sampling sampling = Sampling.DEFAULT;

        public Builder prompt(String prompt) {
            this.prompts = List.of(prompt);
            return this;
        }

        public Builder prompts(List<String> prompts) {
            this.prompts = List.copyOf(prompts);
            return this;
        }

        public Builder negativePrompt(String negative) {
            this.negativePrompts = negative == null ? null : List.of(negative);
            return this;
        }

        public Builder negativePrompts(List<String> negatives) {
            this.negativePrompts = negatives == null ? null : List.copyOf(negatives);
            return this;
        }

        public Builder promptEmbeds(Tensor positive, Tensor negative) {
            this.promptEmbeds = positive;
            this.negativePromptEmbeds = negative;
            return this;
        }

        public Builder image(Tensor image) {
            this.image = image;
            return this;
        }

        /** Video-to-video: the source frames and the strength (the reference's default is 0.8). */
        public Builder video(Tensor video, double strength) {
            this.video = video;
            this.strength = strength;
            return this;
        }

        public Builder latents(Tensor latents) {
            this.latents = latents;
            return this;
        }

        public Builder frames(int frames) {
            this.numFrames = frames;
            return this;
        }

        public Builder size(int height, int width) {
            this.height = height;
            this.width = width;
            return this;
        }

        public Builder steps(int steps) {
            this.steps = steps;
            return this;
        }

        public Builder guidance(double scale) {
            this.guidanceScale = scale;
            return this;
        }

        public Builder dynamicCfg(boolean on) {
            this.dynamicCfg = on;
            return this;
        }

        public Builder maxSequenceLength(int tokens) {
            this.maxSequenceLength = tokens;
            return this;
        }

        /** {@code enable_tiling()} with the VAE's default tiles, or no tiling. */
        public Builder vaeTiling(boolean on) {
            this.tiling = VaeTiling.of(on);
            return this;
        }

        /** A tiling with chosen tile sizes and overlaps ({@link VaeTiling#tiles}), or {@link VaeTiling#OFF}. */
        public Builder vaeTiling(VaeTiling tiling) {
            this.tiling = tiling;
            return this;
        }

        /** Custom timesteps and step caching ({@link Sampling#DEFAULT} unless set). */
        public Builder sampling(Sampling sampling) {
            this.sampling = sampling;
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(prompts, negativePrompts, promptEmbeds, negativePromptEmbeds, image, video, strength, latents,
                    numFrames, height, width, steps, guidanceScale, dynamicCfg, maxSequenceLength, tiling, sampling);
        }
    }
}
