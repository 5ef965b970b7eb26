package dev.cogvideox.io;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.pipeline.GenerationRequest;
import dev.cogvideox.pipeline.MemoryPlan;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Which tensors {@code --weights} quantizes, and what the memory plan counts for them. */
class QuantizedWeightStoreTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @Test
    void quantizesLinearLayersOnlyOnceAndKeepsTablesAndNorms() {
        try (QuantizedWeightStore s = new QuantizedWeightStore(WeightStore.open(MODEL.resolve("transformer")), QuantFormat.INT8)) {
            Weight q = s.weight("transformer_blocks.0.attn1.to_q.weight");
            assertThat(q.quantFormat()).isEqualTo(QuantFormat.INT8);
            assertThat(s.weight("transformer_blocks.0.attn1.to_q.weight")).as("quantized once, then kept").isSameAs(q);
            assertThat(s.weight("transformer_blocks.0.attn1.to_q.bias").quantFormat()).isNull();
            assertThat(s.weight("patch_embed.proj.weight").quantFormat()).as("a 4-D conv kernel").isNull();
            assertThat(s.weight("transformer_blocks.0.norm1.norm.weight").quantFormat()).isNull();
            assertThat(s.source()).endsWith("(weights int8)");
        }
        try (QuantizedWeightStore s = new QuantizedWeightStore(WeightStore.open(MODEL.resolve("text_encoder")), QuantFormat.Q4_0)) {
            assertThat(s.weight("shared.weight").quantFormat()).as("the token embedding table").isNull();
            assertThat(s.weight("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight").quantFormat()).isNull();
            assertThat(s.weight("encoder.block.0.layer.0.SelfAttention.q.weight").quantFormat()).isEqualTo(QuantFormat.Q4_0);
        }
    }

    @Test
    void memoryPlanCountsPackedBytesOfEveryQuantizedMatrix() {
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(MODEL.resolve("transformer/config.json"));
        GenerationRequest req = GenerationRequest.builder().prompt("a lighthouse").frames(9).size(64, 64).steps(1).guidance(6)
                .maxSequenceLength(16).build();
        long expected = 0;
        try (SafetensorsFile f = SafetensorsFile.open(MODEL.resolve("transformer/diffusion_pytorch_model.safetensors"))) {
            long largestBlockRest = 0;
            long[] blockRest = new long[cfg.numLayers()];
            for (String n : f.names()) {
                var e = f.entry(n);
                boolean linear = e.shape().length == 2 && n.endsWith(".weight");
                // int8: one byte a weight plus an fp32 scale a row, all resident; the rest streams block by block
                long bytes = linear ? e.numel() + 4L * e.shape()[0] : e.byteSize();
                if (n.startsWith("transformer_blocks.") && !linear) {
                    blockRest[Integer.parseInt(n.split("\\.")[1])] += bytes;
                } else {
                    expected += bytes;
                }
            }
            for (long b : blockRest) {
                largestBlockRest = Math.max(largestBlockRest, b);
            }
            expected += largestBlockRest;
            assertThat(expected).isLessThan(f.byteSize() / 2);
        }
        MemoryPlan plan = MemoryPlan.estimate(MODEL, cfg, req, QuantFormat.INT8);
        assertThat(plan.stages().get(1).weightBytes()).isEqualTo(expected);
        assertThat(MemoryPlan.estimate(MODEL, cfg, req, null).stages().get(1).weightBytes()).isGreaterThan(expected);
    }
}
