package dev.cogvideox.train.lora;

import dev.cogvideox.io.GgufFile;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.ErrorStats;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.LoraBranch;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code generate --lora} on a transformer folder holding a GGUF (core's test resource: the tiny 2b transformer with
 * its linear layers in Q8_0 by gguf-py, the rest F32): the adapted matrices are dequantized and fused in float32, the
 * others stay quantized.
 */
class LoraFusionGgufTest {
    private static final Path ROOT = GoldenSuite.defaultFixtureRoot();
    private static final Path GOLDEN_FILE = ROOT.resolve("golden/train_lora_checkpoint_2b/pytorch_lora_weights.safetensors");
    private static final Path TRANSFORMER_2B = ROOT.resolve("models/tiny-cogvideox-2b/transformer");

    @TempDir
    Path tmp;

    private Path ggufTransformer() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("transformer"));
        Files.copy(TRANSFORMER_2B.resolve("config.json"), dir.resolve("config.json"));
        try (InputStream in = LoraFusionGgufTest.class.getResourceAsStream("/gguf/transformer-q8_0.gguf")) {
            assertThat(in).as("core's test resource gguf/transformer-q8_0.gguf").isNotNull();
            Files.copy(in, dir.resolve("diffusion_pytorch_model-Q8_0.gguf"));
        }
        return dir;
    }

    @Test
    void fusingIntoQ80WeightsAddsTheDeltaToTheDequantizedMatrix() throws IOException {
        Path dir = ggufTransformer();
        LoraWeights lora = LoraFile.read(GOLDEN_FILE);
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(dir.resolve("config.json"));
        String adapted = "transformer_blocks.1.attn1.to_out.0.weight";
        String notAdapted = "transformer_blocks.0.ff.net.0.proj.weight";
        LoraWeights.Module m = lora.modules().get("transformer_blocks.1.attn1.to_out.0");
        assertThat(m).isNotNull();
        assertThat(lora.modules()).doesNotContainKey("transformer_blocks.0.ff.net.0.proj");
        try (GgufFile plain = GgufFile.open(dir.resolve("diffusion_pytorch_model-Q8_0.gguf"));
             WeightStore fused = LoraFusion.fuse(WeightStore.open(dir), cfg, lora, 0.5)) {
            assertThat(plain.format(adapted)).isEqualTo(QuantFormat.Q8_0);
            assertThat(plain.format(notAdapted)).isEqualTo(QuantFormat.Q8_0);
            assertThat(fused.entry(adapted).dtype()).isEqualTo(DType.F32);
            float[] w = plain.weight(adapted).toTensor().data();
            float[] delta = LoraBranch.delta(Kernels.JAVA, m.a(), m.b(), 0.5f).data();
            float[] got = fused.weight(adapted).toTensor().data();
            assertThat(fused.weight(adapted).shape()).containsExactly(plain.weight(adapted).shape());
            assertThat(got).hasSameSizeAs(w);
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).isEqualTo(w[i] + delta[i]);
            }
            // the layers the LoRA leaves alone read through, still as Q8_0 blocks
            assertThat(fused.weight(notAdapted).quantFormat()).isEqualTo(QuantFormat.Q8_0);
            assertThat(fused.weight(notAdapted).toTensor().data()).containsExactly(plain.weight(notAdapted).toTensor().data());
        }
    }

    @Test
    void aGgufTransformerWithAFusedLoraMatchesDiffusersWithinQ80Error() throws IOException {
        // Q8_0 (a scale per block of 32) is finer than int8 per channel, so int8's bound in QuantizedTransformerErrorTest
        // (3% relative RMS) holds for it; with --weights q8_0 the fused layers are quantized again
        Path dir = ggufTransformer();
        try (GoldenCase c = GoldenCase.open(ROOT.resolve("golden/train_lora_checkpoint_2b.json"))) {
            long[] steps = c.longs("in.timestep");
            float[] expected = c.tensor("out.sample_fused.lora_scale_0.5").data();
            for (QuantFormat weights : new QuantFormat[] {null, QuantFormat.Q8_0}) {
                Tensor out;
                try (CogVideoXTransformer3DModel model = LoraFusion.loadTransformer(dir, GOLDEN_FILE, 0.5, weights, dev.cogvideox.tensor.Kernels.JAVA)) {
                    out = model.forward(c.tensor("in.hidden_states"), c.tensor("in.encoder_hidden_states"),
                            new float[]{steps[0], steps[1]}, null, null);
                }
                // a NaN or infinite output makes the error NaN or infinite, which fails the bound
                assertThat(ErrorStats.of(expected, out.data()).rmsRelative()).as("relative RMS error, weights %s", weights)
                        .isGreaterThan(0).isLessThan(0.03);
            }
        }
    }
}
