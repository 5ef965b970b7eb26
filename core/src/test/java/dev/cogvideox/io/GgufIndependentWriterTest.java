package dev.cogvideox.io;

import dev.cogvideox.model.transformer.CogVideoXTransformer3DModel;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.Weight;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The GGUF reader on files written by an independent writer: llama.cpp's {@code gguf} Python package (gguf 0.19.0),
 * run once by {@code scripts/reference/make_gguf_fixtures.py}, which also stored each tensor's values as gguf-py
 * reads them back ({@code quants.dequantize} for the block types and BF16) in {@code types.expected.safetensors}.
 * Both sides follow ggml's block layouts, so every value must match bit for bit. The same script wrote the tiny
 * fixture transformer as a Q8_0 GGUF, which must load and run.
 */
class GgufIndependentWriterTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    private static Path resource(String name) {
        try {
            return Path.of(GgufIndependentWriterTest.class.getResource("/gguf/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @Test
    void everyTensorReadsAsTheWriterReadsItBack() {
        Map<String, QuantFormat> formats = new java.util.LinkedHashMap<>();
        formats.put("f32.weight", null);
        formats.put("f32.bias", null);
        formats.put("f16.weight", null);
        formats.put("bf16.weight", null);
        formats.put("q8_0.weight", QuantFormat.Q8_0);
        formats.put("q4_0.weight", QuantFormat.Q4_0);
        formats.put("q4_1.weight", QuantFormat.Q4_1);
        formats.put("q8_0.conv", QuantFormat.Q8_0);
        formats.put("q4_1.vector", QuantFormat.Q4_1);
        try (GgufFile g = GgufFile.open(resource("types.gguf")); SafetensorsFile expected = SafetensorsFile.open(resource("types.expected.safetensors"))) {
            // the ComfyUI prefix of "model.diffusion_model.q8_0.weight" is dropped
            assertThat(g.names()).containsExactlyElementsOf(formats.keySet());
            assertThat(expected.names()).containsExactlyInAnyOrderElementsOf(formats.keySet());
            for (var f : formats.entrySet()) {
                String name = f.getKey();
                Weight w = g.weight(name);
                float[] want = expected.entry(name).toTensor().data();
                assertThat(g.format(name)).as(name).isEqualTo(f.getValue());
                assertThat(w.shape()).as(name).containsExactly(expected.entry(name).shape());
                assertThat(bits(w.toTensor().data())).as(name + " values, bit for bit").containsExactly(bits(want));
            }
            // 2-D block tensors stay packed (read through the blocks, not a dequantized copy)
            assertThat(g.weight("q4_0.weight").quantFormat()).isEqualTo(QuantFormat.Q4_0);
            assertThat(g.weight("q8_0.weight").quantFormat()).isEqualTo(QuantFormat.Q8_0);
            assertThat(g.weight("q4_1.weight").quantFormat()).isEqualTo(QuantFormat.Q4_1);
            // the edge values the script put first: f16 max, a subnormal, -0; bf16 near its max, below its normals
            float[] f16 = g.weight("f16.weight").toTensor().data();
            assertThat(f16[0]).isEqualTo(65504f);
            assertThat(f16[2]).isEqualTo(Float.float16ToFloat((short) 1));
            assertThat(Float.floatToRawIntBits(f16[3])).isEqualTo(0x80000000);
            float[] bf16 = g.weight("bf16.weight").toTensor().data();
            assertThat(bf16[0]).isGreaterThan(2.9e38f);
            assertThat(bf16[7]).isStrictlyBetween(0f, Float.MIN_NORMAL);
            // the all-zero Q4_0 block reads as zeros
            float[] q40 = g.weight("q4_0.weight").toTensor().data();
            for (int j = 64 + 32; j < 128; j++) {
                assertThat(q40[j]).isZero();
            }
        }
    }

    @Test
    void aTransformerWrittenByTheWriterLoadsAndRunsAsTheSameQ80Model() throws IOException {
        // the fixture transformer as ComfyUI-GGUF lays one out (prefixed names, linear weights Q8_0 by gguf-py's
        // quantizer, the rest F32) against the same safetensors quantized to Q8_0 on load: ggml's quantize_row_q8_0
        // on both sides, so the outputs agree bit for bit
        Path dir = Files.createDirectories(tmp.resolve("transformer"));
        Files.copy(MODEL.resolve("transformer/config.json"), dir.resolve("config.json"));
        Files.copy(resource("transformer-q8_0.gguf"), dir.resolve("diffusion_pytorch_model-Q8_0.gguf"));
        SplittableRandom r = new SplittableRandom(27);
        Tensor hidden = Tensor.zeros(1, 3, 16, 8, 8), text = Tensor.zeros(1, 16, 32);
        for (Tensor t : new Tensor[] {hidden, text}) {
            for (int i = 0; i < t.numel(); i++) {
                t.data()[i] = (float) r.nextGaussian();
            }
        }
        Tensor fromGguf, fromSafetensors;
        try (CogVideoXTransformer3DModel m = CogVideoXTransformer3DModel.load(dir)) {
            fromGguf = m.forward(hidden, text, new float[] {500}, null, null);
        }
        try (CogVideoXTransformer3DModel m = CogVideoXTransformer3DModel.load(MODEL.resolve("transformer"), QuantFormat.Q8_0)) {
            fromSafetensors = m.forward(hidden, text, new float[] {500}, null, null);
        }
        assertThat(fromGguf.shape()).containsExactly(fromSafetensors.shape());
        assertThat(bits(fromGguf.data())).as("gguf-py Q8_0 vs quantized on load, bit for bit").containsExactly(bits(fromSafetensors.data()));
    }

    @Test
    void metadataOfEveryValueTypeTheWriterWrote() {
        try (GgufFile g = GgufFile.open(resource("types.gguf"))) {
            assertThat(g.metadata()).containsEntry("general.architecture", "cogvideox")
                    .containsEntry("general.name", "tiny gguf-py fixture")
                    .containsEntry("cogvideox.test.uint32", 4000000000L)
                    .containsEntry("cogvideox.test.int32", -7)
                    .containsEntry("cogvideox.test.float32", 0.1f)
                    .containsEntry("cogvideox.test.bool", true)
                    .containsEntry("cogvideox.test.uint64", 1L << 40)
                    .containsEntry("cogvideox.test.strings", List.of("a", "bc"))
                    .containsEntry("cogvideox.test.ints", List.of(1, 2, 3));
        }
    }

    @Test
    void aFolderHoldingTheFileOpensAsAWeightStore() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("transformer"));
        Files.copy(resource("types.gguf"), dir.resolve("model.gguf"));
        try (WeightStore s = WeightStore.open(dir)) {
            assertThat(s.names()).contains("q8_0.weight", "bf16.weight");
            assertThat(s.weight("q8_0.weight").shape()).containsExactly(3, 64);
        }
    }

    @Test
    void anotherModelsGgufIsRefusedByName() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("transformer"));
        Files.copy(resource("llama.gguf"), dir.resolve("llama.gguf"));
        assertThatThrownBy(() -> WeightStore.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("llama.gguf").hasMessageContaining("another model").hasMessageContaining("general.architecture = llama");
    }

    @Test
    void anUnsupportedTypeIsRefusedNamingTheTensorAndType() {
        Path p = resource("q4_k.gguf");
        assertThatThrownBy(() -> GgufFile.open(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("blocks.0.q4k").hasMessageContaining("type 12 (Q4_K)")
                .hasMessageContaining("F32, F16, BF16, Q8_0, Q4_0, Q4_1");
    }

    @Test
    void everyTruncationOfTheWritersFileIsRefusedNamingTheFile() throws IOException {
        byte[] whole = Files.readAllBytes(resource("types.gguf"));
        // gguf-py pads the data to a multiple of 32 bytes: the last tensor (q4_1.vector, 2 Q4_1 blocks of 20 bytes)
        // ends 24 bytes before the end of the file
        int end = whole.length - 24;
        assertThat(Arrays.copyOfRange(whole, end, whole.length)).containsOnly(0);
        for (int cut = 0; cut < end; cut += 61) {
            Path p = tmp.resolve("cut" + cut + ".gguf");
            Files.write(p, Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> GgufFile.open(p)).as("cut at %d", cut).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining(p.toString())
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("truncated", "not a GGUF file", "cannot fit"));
        }
        // without the padding the file still reads; one byte less and the last tensor runs past the end
        Path unpadded = tmp.resolve("unpadded.gguf");
        Files.write(unpadded, Arrays.copyOf(whole, end));
        try (GgufFile g = GgufFile.open(unpadded)) {
            assertThat(g.weight("q4_1.vector").toTensor().data()).hasSize(64);
        }
        Path p = tmp.resolve("short.gguf");
        Files.write(p, Arrays.copyOf(whole, end - 1));
        assertThatThrownBy(() -> GgufFile.open(p)).hasMessageContaining("q4_1.vector").hasMessageContaining("truncated");
    }
}
