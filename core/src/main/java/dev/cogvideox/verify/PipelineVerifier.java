package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.model.schedule.CogVideoXScheduler;
import dev.cogvideox.pipeline.CogVideoXPipeline;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.random.NoiseSource;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code pipeline} cases: a whole {@code CogVideoXPipeline} / {@code CogVideoXImageToVideoPipeline} call, replaying
 * the reference's random draws ({@code in.noise.<j>}) in call order, with every {@code out.dbg.*} tap compared.
 */
final class PipelineVerifier implements ComponentVerifier {
    @Override
    public String component() {
        return "pipeline";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        JsonNode args = c.spec().path("arguments");
        GenerationRequest.Builder b = GenerationRequest.builder()
                .frames(args.path("num_frames").asInt())
                .size(args.path("height").asInt(), args.path("width").asInt())
                .steps(args.path("num_inference_steps").asInt())
                .guidance(args.path("guidance_scale").asDouble())
                .dynamicCfg(args.path("use_dynamic_cfg").asBoolean(false));
        if (c.has("in.prompt_embeds")) {
            b.promptEmbeds(c.tensor("in.prompt_embeds"), c.has("in.negative_prompt_embeds") ? c.tensor("in.negative_prompt_embeds") : null);
        } else {
            b.prompt(args.path("prompt").asText()).maxSequenceLength(args.path("max_sequence_length").asInt(226));
            if (args.hasNonNull("negative_prompt")) {
                b.negativePrompt(args.path("negative_prompt").asText());
            }
        }
        if (c.has("in.latents")) {
            b.latents(c.tensor("in.latents"));
        }
        if (c.has("in.image")) {
            b.image(c.tensor("in.image"));
        }
        List<Tensor> draws = new ArrayList<>();
        for (int j = 0; c.has("in.noise." + j); j++) {
            draws.add(c.tensor("in.noise." + j));
        }
        NoiseSource.Replay noise = NoiseSource.replay(draws);
        CogVideoXPipeline pipeline = CogVideoXPipeline.load(c.modelDir());
        Tensor video = pipeline.generate(b.build(), noise, ProgressListener.NONE, new CancellationToken(), (name, t) -> {
            String key = c.has("out." + name) ? "out." + name : "out.dbg." + name;
            if (c.has(key)) {
                checker.check(key, t);
            }
        });
        checker.check("out.video", video);
        checker.checkEquals("unused recorded draws", 0, noise.remaining());
        CogVideoXScheduler scheduler = CogVideoXScheduler.fromPretrained(c.modelDir());
        scheduler.setTimesteps(args.path("num_inference_steps").asInt());
        checker.checkLongs("out.timesteps", scheduler.timesteps());
    }
}
