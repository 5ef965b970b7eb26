package dev.cogvideox.pipeline;

import dev.cogvideox.model.text.T5Config;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The text encoder's attention grows with the square of the prompt length; the plan counts it. */
class MemoryPlanPromptTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    private static long textEncoderActivations(int length) {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        GenerationRequest req = GenerationRequest.builder().prompt("a lighthouse").frames(9).size(64, 64).steps(1).guidance(6)
                .maxSequenceLength(length).build();
        return MemoryPlan.estimate(MODEL, cfg, req).stages().getFirst().activationBytes();
    }

    @Test
    void theTextEncoderStageCountsTheLByLAttention() {
        T5Config t5 = T5Config.read(MODEL.resolve("text_encoder/config.json"));
        long perToken = 4L * 2 * (3L * t5.dFf() + 6L * t5.dModel());                 // the feed-forward, prompt and negative
        for (int l : new int[]{16, 226, 2048}) {
            assertThat(textEncoderActivations(l)).as("L = %d", l).isEqualTo(perToken * l + 4L * 3 * t5.numHeads() * l * l);
        }
    }
}
