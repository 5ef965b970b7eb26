package dev.cogvideox.train.lora;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.io.SafetensorsWriter;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.tensor.DType;
import dev.cogvideox.tensor.Kernels;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.model.LoraBranch;
import dev.cogvideox.verify.GoldenCase;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The diffusers LoRA file: reading the golden file, writing it back, the errors, and fusing into bf16 weights. */
class LoraFileTest {
    private static final Path ROOT = GoldenSuite.defaultFixtureRoot();
    private static final Path GOLDEN_FILE = ROOT.resolve("golden/train_lora_checkpoint_2b/pytorch_lora_weights.safetensors");
    private static final Path TRANSFORMER_2B = ROOT.resolve("models/tiny-cogvideox-2b/transformer");

    @TempDir
    Path tmp;

    @Test
    void goldenFileRoundTrips() {
        LoraWeights lora = LoraFile.read(GOLDEN_FILE);
        assertThat(lora.modules()).hasSize(2 * 4);
        assertThat(lora.loraAlpha()).isNull();
        assertThat(lora.modules().values()).allSatisfy(m -> assertThat(lora.scaling(m)).isEqualTo(1.0));

        Path out = tmp.resolve(LoraFile.WEIGHT_NAME);
        LoraFile.write(out, lora);
        try (SafetensorsFile written = SafetensorsFile.open(out); SafetensorsFile golden = SafetensorsFile.open(GOLDEN_FILE)) {
            assertThat(written.metadata()).isEqualTo(Map.of("format", "pt"));
            assertThat(written.names()).containsExactlyInAnyOrderElementsOf(golden.names());
            for (String name : golden.names()) {
                assertThat(written.entry(name).shape()).isEqualTo(golden.entry(name).shape());
                assertThat(written.entry(name).toTensor().data()).as(name).containsExactly(golden.entry(name).toTensor().data());
            }
        }
        assertThat(LoraFile.read(tmp).modules()).hasSize(8);   // a folder reads its pytorch_lora_weights.safetensors
    }

    @Test
    void loraAlphaIsStoredInTheAdapterMetadata() {
        LoraWeights lora = LoraFile.read(GOLDEN_FILE);
        LoraWeights alpha8 = LoraWeights.fromKeys(lora.toKeys(), 8.0, "test");
        Path out = tmp.resolve("alpha.safetensors");
        LoraFile.write(out, alpha8);
        LoraWeights back = LoraFile.read(out);
        assertThat(back.loraAlpha()).isEqualTo(8.0);
        assertThat(back.scaling(back.modules().values().iterator().next())).isEqualTo(2.0);   // alpha 8 / rank 4
    }

    @Test
    void unknownKeysHalfPairsAndMisfitsAreErrorsThatNameThem() {
        Map<String, Tensor> keys = new LinkedHashMap<>(LoraFile.read(GOLDEN_FILE).toKeys());
        keys.put("transformer.transformer_blocks.0.ff.net.2.lora_A.weight", Tensor.zeros(4, 128));
        keys.put("unet.up_blocks.0.lora.up.weight", Tensor.zeros(4, 4));
        Path bad = tmp.resolve("bad.safetensors");
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        keys.forEach((k, t) -> w.add(k, DType.F32, t));
        w.write(bad);
        assertThatThrownBy(() -> LoraFile.read(bad)).hasMessageContaining("bad.safetensors")
                .hasMessageContaining("transformer.transformer_blocks.0.ff.net.2.lora_A.weight").hasMessageContaining("unet.up_blocks.0.lora.up.weight");

        Map<String, Tensor> half = Map.of("transformer.transformer_blocks.0.attn1.to_q.lora_A.weight", Tensor.zeros(4, 32));
        assertThatThrownBy(() -> LoraWeights.fromKeys(half, null, "half.safetensors"))
                .hasMessageContaining("half.safetensors").hasMessageContaining("transformer_blocks.0.attn1.to_q has lora_A.weight but no lora_B.weight");

        Map<String, Tensor> wide = Map.of(
                "transformer.transformer_blocks.5.attn1.to_v.lora_A.weight", Tensor.zeros(4, 32),
                "transformer.transformer_blocks.5.attn1.to_v.lora_B.weight", Tensor.zeros(32, 4),
                "transformer.transformer_blocks.0.attn1.to_k.lora_A.weight", Tensor.zeros(4, 64),
                "transformer.transformer_blocks.0.attn1.to_k.lora_B.weight", Tensor.zeros(32, 4));
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(TRANSFORMER_2B.resolve("config.json"));
        assertThatThrownBy(() -> LoraWeights.fromKeys(wide, null, "wide").checkFits(cfg, "wide"))
                .hasMessageContaining("transformer_blocks.5.attn1.to_v: the transformer has 2 blocks")
                .hasMessageContaining("transformer_blocks.0.attn1.to_k: lora_A [4, 64]");
    }

    @Test
    void loadTransformerFusesTheFileForInference() {
        try (GoldenCase c = GoldenCase.open(ROOT.resolve("golden/train_lora_checkpoint_2b.json"));
             CogVideoXTransformer3DModel model = LoraFusion.loadTransformer(TRANSFORMER_2B, GOLDEN_FILE, 0.5)) {
            long[] steps = c.longs("in.timestep");
            Tensor out = model.forward(c.tensor("in.hidden_states"), c.tensor("in.encoder_hidden_states"),
                    new float[]{steps[0], steps[1]}, null, null);
            float[] expected = c.tensor("out.sample_fused.lora_scale_0.5").data();
            for (int i = 0; i < expected.length; i++) {
                assertThat(out.data()[i]).isCloseTo(expected[i], within(5e-5f + 1e-4f * Math.abs(expected[i])));
            }
        }
    }

    @Test
    void fusingIntoBf16WeightsRoundsTheFusedFloat32Sum() {
        LoraWeights lora = LoraFile.read(GOLDEN_FILE);
        CogVideoXTransformerConfig cfg = CogVideoXTransformerConfig.read(TRANSFORMER_2B.resolve("config.json"));
        try (WeightStore base = WeightStore.open(TRANSFORMER_2B)) {
            Path bf16 = tmp.resolve("bf16.safetensors");
            SafetensorsWriter w = new SafetensorsWriter(Map.of());
            base.names().forEach(n -> w.add(n, DType.BF16, base.entry(n).toTensor()));
            w.write(bf16);
        }
        LoraWeights.Module m = lora.modules().get("transformer_blocks.1.attn1.to_out.0");
        try (WeightStore plain = WeightStore.open(tmp.resolve("bf16.safetensors"));
             WeightStore fused = LoraFusion.fuse(WeightStore.open(tmp.resolve("bf16.safetensors")), cfg, lora, 0.5)) {
            SafetensorsFile.Entry e = fused.entry("transformer_blocks.1.attn1.to_out.0.weight");
            assertThat(e.dtype()).isEqualTo(DType.BF16);
            float[] base = fused.entry("transformer_blocks.1.attn1.to_out.0.bias").toTensor().data();
            assertThat(base).hasSize(32);   // untouched entries come from the base store
            float[] w = plain.entry(e.name()).toTensor().data();
            float[] delta = LoraBranch.delta(Kernels.JAVA, m.a(), m.b(), 0.5f).data();
            float[] got = e.toTensor().data();
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).isEqualTo(Float.intBitsToFloat((DType.toBf16(w[i] + delta[i]) & 0xffff) << 16));
            }
        }
    }
}
