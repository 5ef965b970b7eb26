package dev.cogvideox.pipeline;

import dev.cogvideox.model.schedule.CogVideoXSchedulerConfig;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoX;
import dev.cogvideox.model.vae.AutoencoderKLCogVideoXConfig;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The call parameters a model runs with when the user gives none, from its configs, as diffusers' pipelines take
 * them: {@code height = sample_height * vae_scale_factor_spatial}, {@code width = sample_width * vae_scale_factor_spatial},
 * {@code num_frames = sample_frames}, 50 steps, guidance 6, prompts of the transformer's {@code max_text_seq_length}
 * tokens (226 published, diffusers' default), and as the official demo: dynamic guidance with the DPM scheduler, and
 * its fps (8 for 1.0, 16 for 1.5). The 1.5 models' {@code sample_height/width} only bound the RoPE grid (300 x 300
 * latents published), so their default size is the official 1360 x 768, scaled down with its aspect ratio to fit
 * that bound; their frames are 16N+1 (81 published). {@link #complete} fills a request's unset fields with them: the
 * one place every caller's defaults come from. Also the size limits the configs set, checked in pixels with the
 * options' names.
 *
 * @param frames         video frames
 * @param height         pixels
 * @param width          pixels
 * @param fps            frames per second of the written video
 * @param steps          denoising steps
 * @param guidance       classifier-free guidance scale
 * @param dynamicCfg     the dynamic guidance scale (on with the DPM scheduler, as the official demo runs it)
 * @param maxSequenceLength prompt tokens: the transformer's {@code max_text_seq_length}
 * @param frameStep      frames come as {@code frameStep * N + 1}
 * @param spatialFactor  pixels per latent (the VAE's {@code 2^(len(block_out_channels) - 1)})
 * @param temporalFactor frames per latent frame (the VAE's {@code temporal_compression_ratio})
 * @param limits         the sizes the model's positional embeddings allow
 */
public record GenerationDefaults(int frames, int height, int width, double fps, int steps, double guidance, boolean dynamicCfg,
                                 int maxSequenceLength, int frameStep, int spatialFactor, int temporalFactor, Limits limits) {
    /** The official 1.5 operating point (published-models.md). */
    private static final int V15_HEIGHT = 768, V15_WIDTH = 1360;
    public static final int STEPS = 50;
    public static final double GUIDANCE = 6.0;

    /**
     * What sizes a model takes: at most {@code maxHeight x maxWidth} pixels (the 1.5 RoPE grid), or exactly
     * {@code exactHeight x exactWidth} (the 5b-I2V's learned positions); 0 where there is no such limit.
     */
    public record Limits(int maxHeight, int maxWidth, int exactHeight, int exactWidth) {
    }

    /**
     * The defaults of a model folder ({@code transformer/config.json}, and {@code vae/config.json} and
     * {@code scheduler/scheduler_config.json} where present).
     */
    public static GenerationDefaults of(Path modelDir) {
        CogVideoXTransformerConfig t = CogVideoXTransformerConfig.read(modelDir.resolve("transformer/config.json"));
        Path vae = modelDir.resolve("vae/config.json");
        Path scheduler = modelDir.resolve("scheduler/scheduler_config.json");
        return of(t, Files.isRegularFile(vae) ? AutoencoderKLCogVideoXConfig.read(vae) : null,
                Files.isRegularFile(scheduler) ? CogVideoXSchedulerConfig.read(scheduler).className() : null);
    }

    /**
     * @param vae            the VAE's config, or null for the CogVideoX VAE's factors (8 and 4)
     * @param schedulerClass the scheduler the model runs with ({@link CogVideoXSchedulerConfig#DDIM} or
     *                       {@link CogVideoXSchedulerConfig#DPM}), or null for none known (no dynamic guidance)
     */
    public static GenerationDefaults of(CogVideoXTransformerConfig t, AutoencoderKLCogVideoXConfig vae, String schedulerClass) {
        boolean dynamic = CogVideoXSchedulerConfig.DPM.equals(schedulerClass);
        int tokens = t.maxTextSeqLength();
        int spatial = vae != null ? vae.spatialCompressionRatio() : 8;
        int temporal = vae != null ? vae.temporalCompressionRatio() : 4;
        boolean v15 = t.patchSizeT() != null;
        int sampleH = t.sampleHeight() * spatial, sampleW = t.sampleWidth() * spatial;
        int step = v15 ? 16 : 8;
        if (!v15) {
            Limits limits = t.useLearnedPositionalEmbeddings() ? new Limits(0, 0, sampleH, sampleW) : new Limits(0, 0, 0, 0);
            return new GenerationDefaults(frameCount(t.sampleFrames(), step), sampleH, sampleW, 8, STEPS, GUIDANCE, dynamic, tokens, step,
                    spatial, temporal, limits);
        }
        // 1.5: the published size if it fits the RoPE bound, else the largest of its aspect ratio that does (multiples of 16)
        long num = 1, den = 1;                                      // the scale, num / den <= 1, in integers
        if ((long) sampleH * V15_WIDTH <= (long) sampleW * V15_HEIGHT) {
            if (sampleH < V15_HEIGHT) {
                num = sampleH;
                den = V15_HEIGHT;
            }
        } else if (sampleW < V15_WIDTH) {
            num = sampleW;
            den = V15_WIDTH;
        }
        int h = (int) Math.max(16, V15_HEIGHT * num / den / 16 * 16), w = (int) Math.max(16, V15_WIDTH * num / den / 16 * 16);
        return new GenerationDefaults(frameCount(t.sampleFrames(), step), h, w, 16, STEPS, GUIDANCE, dynamic, tokens, step, spatial,
                temporal, new Limits(sampleH, sampleW, 0, 0));
    }

    /**
     * {@code req} with these defaults where it leaves a call parameter unset (null), as diffusers' {@code __call__}
     * fills {@code height}, {@code width} and {@code num_frames} from the configs; a video-to-video request's frame
     * count is its source video's ({@code num_frames = len(video)}). A complete request comes back as it is.
     */
    public GenerationRequest complete(GenerationRequest req) {
        if (req.isComplete()) {
            return req;
        }
        int f = req.numFrames() != null ? req.numFrames() : req.video() != null ? req.video().dim(1) : frames;
        return req.toBuilder().frames(f).size(req.height() != null ? req.height() : height, req.width() != null ? req.width() : width)
                .steps(req.numInferenceSteps() != null ? req.numInferenceSteps() : steps)
                .guidance(req.guidanceScale() != null ? req.guidanceScale() : guidance)
                .dynamicCfg(req.useDynamicCfg() != null ? req.useDynamicCfg() : dynamicCfg)
                .maxSequenceLength(req.maxSequenceLength() != null ? req.maxSequenceLength() : maxSequenceLength).build();
    }

    /** {@code sample_frames} when it is {@code step * N + 1}, else the next such count above it. */
    private static int frameCount(int sampleFrames, int step) {
        int n = Math.max(1, (sampleFrames - 1 + step - 1) / step);
        return n * step + 1;
    }

    /** Refuses a size the model cannot take, in pixels and naming {@code --height} and {@code --width}. */
    public void checkSize(String variant, int height, int width) {
        checkSize(variant, height, width, "--height", "--width");
    }

    /** {@link #checkSize(String, int, int)} naming the two values as the caller's user knows them (e.g. JSON fields). */
    public void checkSize(String variant, int height, int width, String heightName, String widthName) {
        String given = heightName + " " + height + " " + widthName + " " + width;
        int multiple = 2 * spatialFactor;   // whole latent patches
        if (height <= 0 || width <= 0 || height % multiple != 0 || width % multiple != 0) {
            throw new IllegalArgumentException(given + ": both must be positive multiples of " + multiple
                    + " (VAE factor " + spatialFactor + " x patch size 2)");
        }
        if (limits.maxHeight() > 0 && (height > limits.maxHeight() || width > limits.maxWidth())) {
            throw new IllegalArgumentException(given + ": the " + variant + " model's positional table (transformer sample_height x "
                    + "sample_width x " + spatialFactor + ") covers at most " + limits.maxWidth() + "x" + limits.maxHeight()
                    + " pixels (width x height); give " + heightName + " up to " + limits.maxHeight() + " and " + widthName + " up to " + limits.maxWidth()
                    + " (default " + width() + "x" + height() + ")");
        }
        if (limits.exactHeight() > 0 && (height != limits.exactHeight() || width != limits.exactWidth())) {
            throw new IllegalArgumentException(given + ": the " + variant + " model has learned positional embeddings and only takes "
                    + heightName + " " + limits.exactHeight() + " " + widthName + " " + limits.exactWidth() + " (diffusers refuses other sizes too)");
        }
    }

    /** Refuses a frame count that is not {@code frameStep * N + 1}, naming {@code --frames}. */
    public void checkFrames(String variant, int frames) {
        if (frames < 1 || (frames - 1) % frameStep != 0) {
            // the library takes any count, as diffusers does; the command line keeps users to what the model was trained on
            int latent = (frames - 1) / temporalFactor + 1;
            String returns = frames < 1 ? "" : "; the pipeline would turn " + frames + " frames into " + latent + " latent frames and return "
                    + AutoencoderKLCogVideoX.decodedFrames(Integer.numberOfTrailingZeros(temporalFactor), latent, 2)
                    + " frames, as diffusers does (the VAE decodes latent frames in batches of 2: a batch of 2 becomes 8 frames, only an "
                    + "odd first batch of 3 becomes 9)";
            throw new IllegalArgumentException("--frames " + frames + ": the " + variant + " model was trained on " + frameStep
                    + "N+1 frames (e.g. " + (frameStep + 1) + ", " + (3 * frameStep + 1) + ", " + (6 * frameStep + 1) + "; default "
                    + frames() + ")" + returns);
        }
    }
}
