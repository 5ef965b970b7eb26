package dev.cogvideox.serve;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cogvideox.pipeline.GenerationDefaults;

/**
 * A job's settings: every option of {@code cogvideox generate}, with an uploaded image (image-to-video) or video
 * (video-to-video) and a LoRA named by file. As submitted, any field but the prompt may be missing;
 * {@link #complete} fills the model's defaults and checks everything with the command line's rules and the
 * service's limits, so a stored job always carries the full settings it ran with.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobSettings(String model, String prompt, String negativePrompt, Integer frames, Integer height, Integer width,
                          Integer steps, Double guidance, Boolean dynamicCfg, Long seed, Double fps, Double strength,
                          Boolean vaeTiling, String image, String video, String lora, Double loraScale) {

    /** These settings with every default filled in, or the first problem as a 400. */
    JobSettings complete(ModelRegistry models, ServeConfig.Limits limits, DataFolder data) {
        ModelRegistry.Model m = models.get(model);
        GenerationDefaults d = m.defaults();
        if (prompt == null || prompt.isBlank()) {
            throw ApiException.badRequest("prompt", "prompt is required and must not be blank");
        }
        checkLength("prompt", prompt, limits);
        if (negativePrompt != null) {
            checkLength("negativePrompt", negativePrompt, limits);
        }
        int f = frames != null ? frames : d.frames();
        int step = d.frameStep();
        if (f < 1 || (f - 1) % step != 0 || f > limits.maxFrames()) {
            throw ApiException.badRequest("frames", "frames " + f + ": the " + m.variant() + " model was trained on " + step + "N+1 frames (e.g. "
                    + (step + 1) + ", " + (3 * step + 1) + ", " + (6 * step + 1) + "), at most " + limits.maxFrames() + " here");
        }
        int h = height != null ? height : d.height();
        int w = width != null ? width : d.width();
        for (int[] side : new int[][]{{h, 0}, {w, 1}}) {
            String name = side[1] == 0 ? "height" : "width";
            if (side[0] > limits.maxSide()) {
                throw ApiException.badRequest(name, name + " " + side[0] + ": at most " + limits.maxSide() + " here");
            }
        }
        try {
            d.checkSize(m.variant(), h, w, "height", "width");    // the model's own rule, as the command line applies it
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(sizeFieldAtFault(d, m.variant(), h), e.getMessage());
        }
        int s = steps != null ? steps : d.steps();
        if (s < 1 || s > limits.maxSteps()) {
            throw ApiException.badRequest("steps", "steps " + s + ": must be between 1 and " + limits.maxSteps());
        }
        double g = guidance != null ? guidance : d.guidance();
        if (!(g >= 0 && g <= 50)) {
            throw ApiException.badRequest("guidance", "guidance " + g + ": must be between 0 and 50 (1 or less turns guidance off, as diffusers)");
        }
        double rate = fps != null ? fps : d.fps();
        if (!(rate > 0 && rate <= 120)) {
            throw ApiException.badRequest("fps", "fps " + rate + ": must be above 0 and at most 120");
        }
        double st = strength != null ? strength : 0.8;
        if (!(st > 0 && st <= 1)) {
            throw ApiException.badRequest("strength", "strength " + st + ": must be in (0, 1]");
        }
        double ls = loraScale != null ? loraScale : 1.0;
        if (!Double.isFinite(ls) || Math.abs(ls) > 10) {
            throw ApiException.badRequest("loraScale", "loraScale " + ls + ": must be between -10 and 10");
        }
        if (image != null && !m.imageToVideo()) {
            throw ApiException.badRequest("image", "an image was given but " + m.name() + " is a text-to-video model (" + m.variant()
                    + "); choose an image-to-video model");
        }
        if (image == null && m.imageToVideo()) {
            throw ApiException.badRequest("image", m.name() + " is an image-to-video model (" + m.variant() + "): upload an image and give its name");
        }
        if (video != null && m.imageToVideo()) {
            throw ApiException.badRequest("video", "video-to-video takes a text-to-video model, not " + m.name() + " (" + m.variant() + ")");
        }
        if (image != null) {
            data.upload("image", image);
        }
        if (video != null) {
            data.upload("video", video);
        }
        if (lora != null) {
            data.lora(lora);
        }
        long sd = seed != null ? seed : 42L;
        return new JobSettings(m.name(), prompt, negativePrompt, f, h, w, s, g, dynamicCfg != null ? dynamicCfg : d.dynamicCfg(), sd, rate,
                video != null ? st : null, vaeTiling != null && vaeTiling, image, video, lora, lora != null ? ls : null);
    }

    /** "height" when the height alone (with the default width) is refused, else "width". */
    private static String sizeFieldAtFault(GenerationDefaults d, String variant, int h) {
        try {
            d.checkSize(variant, h, d.width(), "height", "width");
            return "width";
        } catch (IllegalArgumentException e) {
            return "height";
        }
    }

    private static void checkLength(String field, String text, ServeConfig.Limits limits) {
        if (text.length() > limits.maxPromptChars()) {
            throw ApiException.badRequest(field, field + " has " + text.length() + " characters; at most " + limits.maxPromptChars()
                    + " are taken (the text encoder reads the first tokens only)");
        }
    }
}
