package dev.cogvideox.verify;

import dev.cogvideox.model.RunContext;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code pipeline} cases: a whole {@code CogVideoXPipeline} / {@code CogVideoXImageToVideoPipeline} call, replaying
 * the reference's random draws ({@code in.noise.<j>}) in call order, with every {@code out.dbg.*} tap compared.
 */
final class PipelineVerifier implements ComponentVerifier {
    /** {@code max_sequence_length}'s default in diffusers' {@code __call__}. */
    private static final int DIFFUSERS_MAX_SEQUENCE_LENGTH = 226;

    @Override
    public String component() {
        return "pipeline";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        String function = c.function();
        SpecNode args = c.arguments();
        boolean imageToVideo = function.equals("CogVideoXImageToVideoPipeline.__call__");
        if (!imageToVideo && !function.equals("CogVideoXPipeline.__call__")) {
            throw new IllegalArgumentException("pipeline case: function '" + function + "' is not implemented here");
        }
        Implemented.oneOf(args.get("output_type"), "pt");
        Implemented.returnDict(args);
        Implemented.oneOf(args.get("eta"), 0.0);                  // the CogVideoX schedulers' deterministic step
        Implemented.oneOf(args.get("num_videos_per_prompt"), 1);
        int steps = args.get("num_inference_steps").asInt();
        GenerationRequest.Builder b = GenerationRequest.builder()
                .frames(args.get("num_frames").asInt())
                .size(args.get("height").asInt(), args.get("width").asInt())
                .steps(steps)
                .guidance(args.get("guidance_scale").asDouble())
                .dynamicCfg(args.get("use_dynamic_cfg").asBoolean(false));
        if (args.get("prompt_embeds").hasValue()) {
            SpecNode negative = args.get("negative_prompt_embeds");
            b.promptEmbeds(c.tensor(args.get("prompt_embeds").asText()), negative.hasValue() ? c.tensor(negative.asText()) : null);
            if (args.get("prompt").hasValue() || args.get("negative_prompt").hasValue()) {
                throw new IllegalArgumentException("pipeline case: both prompt strings and prompt embeddings given");
            }
        } else {
            b.prompt(args.get("prompt").asText());
            // diffusers' __call__ default is 226 tokens, whatever the model's max_text_seq_length
            b.maxSequenceLength(args.get("max_sequence_length").exists() ? args.get("max_sequence_length").asInt() : DIFFUSERS_MAX_SEQUENCE_LENGTH);
            if (args.get("negative_prompt").hasValue()) {
                b.negativePrompt(args.get("negative_prompt").asText());
            }
            args.get("negative_prompt_embeds").isNull();
        }
        if (args.get("latents").hasValue()) {
            b.latents(c.tensor(args.get("latents").asText()));
        }
        if (imageToVideo) {
            b.image(c.tensor(args.get("image").asText()));
        }
        // the reference's generator: its draws are stored as in.noise.<j> and replayed in call order
        if (!args.get("generator").asText().contains("draws replayed from in.noise")) {
            throw new IllegalArgumentException("pipeline case: arguments/generator must say its draws are replayed from in.noise.*");
        }
        List<Tensor> draws = new ArrayList<>();
        for (int j = 0; c.has("in.noise." + j); j++) {
            draws.add(c.tensor("in.noise." + j));
        }
        NoiseSource.Replay noise = NoiseSource.replay(draws);
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(c.modelDir());
        Tensor video = pipeline.generate(b.build(), noise, RunContext.NONE.withTaps((name, t) -> {
            String key = c.has("out." + name) ? "out." + name : "out.dbg." + name;
            if (c.has(key)) {
                checker.check(key, t);
            }
        }));
        checker.check("out.video", video);
        checker.checkEquals("unused recorded draws", 0, noise.remaining());
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(c.modelDir());
        scheduler.setTimesteps(steps);
        checker.checkLongs("out.timesteps", scheduler.timesteps());
    }
}
