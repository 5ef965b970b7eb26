package dev.cogvideox.pipeline;

import dev.cogvideox.model.vae.VaeTiling;
import dev.cogvideox.tensor.Tensor;

import java.util.List;

/**
 * What to generate. Prompts are strings (encoded by the model's T5) or ready embeddings; everything else has the
 * reference pipeline's meaning. Build with {@link #builder()}. The call parameters that depend on the model (frames,
 * size, steps, guidance, dynamic guidance, prompt length) may be left unset (null): the pipeline fills them with the
 * model's defaults ({@link GenerationDefaults#complete}, {@link CogVideoXPipeline#complete}) before it runs.
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
 *                               itself for the 1 + 8k counts the models were trained on, e.g. 49; 16 for 13); null:
 *                               the model's {@code sample_frames} (a source video's frames for video-to-video)
 * @param height                 pixels, or null for the model's default
 * @param width                  pixels, or null for the model's default
 * @param numInferenceSteps      denoising steps, or null for the default (50)
 * @param guidanceScale          classifier-free guidance scale, or null for the default (6)
 * @param useDynamicCfg          the reference's dynamic guidance scale (see ClassifierFreeGuidance), or null for the
 *                               model's default (on with the DPM scheduler)
 * @param maxSequenceLength      prompt tokens, or null for the transformer's max_text_seq_length (226 for the real models)
 * @param tiling                 decode (and encode) in overlapping spatial tiles, which bounds memory: diffusers'
 *                               {@code enable_tiling(...)} with its tile size and overlap, or {@link VaeTiling#OFF}
 * @param sampling               custom timesteps and step caching ({@link Sampling#DEFAULT}: the reference loop)
 */
public record GenerationRequest(List<String> prompts, List<String> negativePrompts, Tensor promptEmbeds, Tensor negativePromptEmbeds,
                                Tensor image, Tensor video, double strength, Tensor latents, Integer numFrames, Integer height, Integer width,
                                Integer numInferenceSteps, Double guidanceScale, Boolean useDynamicCfg, Integer maxSequenceLength, VaeTiling tiling,
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
        if (numInferenceSteps != null && (numInferenceSteps < 1 || numInferenceSteps > 1000)) {
            throw new IllegalArgumentException("steps must be between 1 and 1000, got " + numInferenceSteps);
        }
        if (video != null && numInferenceSteps != null && (int) (numInferenceSteps * strength) < 1) {
            // get_timesteps keeps int(steps x strength) steps: none here, and diffusers' loop then returns an empty video
            double smallest = Math.ceil(1000.0 / numInferenceSteps) / 1000;
            while ((int) (numInferenceSteps * smallest) < 1) {
                smallest += 0.001;
            }
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "video-to-video with strength %s and %d steps denoises "
                    + "int(%d x %s) = 0 steps; the smallest strength for %d steps is %.3f (or give more steps)",
                    strength, numInferenceSteps, numInferenceSteps, strength, numInferenceSteps, smallest));
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must be Sampling.DEFAULT or a sampling, not null");
        }
        if (tiling == null) {
            throw new IllegalArgumentException("tiling must be VaeTiling.OFF or a tiling, not null");
        }
    }

    /** Whether every call parameter is set (none left to the model's defaults). */
    public boolean isComplete() {
        return numFrames != null && height != null && width != null && numInferenceSteps != null && guidanceScale != null
                && useDynamicCfg != null && maxSequenceLength != null;
    }

    /** A builder holding this request, to change some of it. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.prompts = prompts;
        b.negativePrompts = negativePrompts;
        b.promptEmbeds = promptEmbeds;
        b.negativePromptEmbeds = negativePromptEmbeds;
        b.image = image;
        b.video = video;
        b.strength = strength;
        b.latents = latents;
        b.numFrames = numFrames;
        b.height = height;
        b.width = width;
        b.steps = numInferenceSteps;
        b.guidanceScale = guidanceScale;
        b.dynamicCfg = useDynamicCfg;
        b.maxSequenceLength = maxSequenceLength;
        b.tiling = tiling;
        b.sampling = sampling;
        return b;
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

    /** Mutable builder; a call parameter not set (or set to null) is left to the model's defaults. */
    public static final class Builder {
        private List<String> prompts;
        private List<String> negativePrompts;
        private Tensor promptEmbeds, negativePromptEmbeds, image, video, latents;
        private double strength = 0.8;
        private Integer numFrames, height, width, steps, maxSequenceLength;
        private Double guidanceScale;
        private Boolean dynamicCfg;
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

        public Builder frames(Integer frames) {
            this.numFrames = frames;
            return this;
        }

        public Builder size(Integer height, Integer width) {
            this.height = height;
            this.width = width;
            return this;
        }

        public Builder steps(Integer steps) {
            this.steps = steps;
            return this;
        }

        /** A guidance scale, or null for the model's default. */
        public Builder guidance(Double scale) {
            this.guidanceScale = scale;
            return this;
        }

        /** A guidance scale given as any number ({@code guidance(6)}). */
        public Builder guidance(double scale) {
            return guidance(Double.valueOf(scale));
        }

        public Builder dynamicCfg(Boolean on) {
            this.dynamicCfg = on;
            return this;
        }

        public Builder maxSequenceLength(Integer tokens) {
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
