package dev.cogvideox.cli;

import dev.cogvideox.io.GgufFile;
import dev.cogvideox.io.WeightStore;
import dev.cogvideox.tensor.QuantFormat;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox1.5-5b-i2v");

    @TempDir
    Path tmp;

    @Test
    void describesEveryComponentOfAFixtureModel() {
        CliRun r = CliRun.of("inspect", MODEL.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("CogVideoXImageToVideoPipeline")
                .containsPattern("transformer +CogVideoXTransformer3DModel +F32 +70,848 .* ok: 1.5-5b-i2v, 2 layers, 2 heads x 16")
                .containsPattern("vae +AutoencoderKLCogVideoX .* ok: scaling 0.7 \\(inverted for image latents\\)")
                .contains("no problems found");
    }

    @Test
    void namesWhatIsMissingOrBroken() throws IOException {
        Path copy = tmp.resolve("model");
        try (Stream<Path> files = Files.walk(MODEL)) {
            for (Path p : files.toList()) {
                Path target = copy.resolve(MODEL.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals("spiece.model") && !p.toString().contains("/vae/")) {
                    Files.copy(p, target);
                }
            }
        }
        Files.writeString(copy.resolve("vae/config.json"), "{\"_class_name\": \"AutoencoderKLCogVideoX\"}");
        CliRun r = CliRun.of("inspect", copy.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("problems:").contains("tokenizer:").contains("spiece.model").contains("vae:");
    }

    /** The tiny 2b model with its transformer as core's GGUF test resource (linear layers Q8_0, the rest F32). */
    private Path modelWithGgufTransformer() throws IOException {
        Path source = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");
        Path copy = tmp.resolve("gguf-model");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : files.toList()) {
                Path target = copy.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".safetensors") || !p.toString().contains("/transformer/")) {
                    Files.copy(p, target);
                }
            }
        }
        try (InputStream in = InspectCommandTest.class.getResourceAsStream("/gguf/transformer-q8_0.gguf")) {
            assertThat(in).as("core's test resource gguf/transformer-q8_0.gguf").isNotNull();
            Files.copy(in, copy.resolve("transformer/diffusion_pytorch_model-Q8_0.gguf"));
        }
        return copy;
    }

    @Test
    void aGgufTransformerShowsItsBlockFormatAndLogicalParameterCount() throws IOException {
        Path model = modelWithGgufTransformer();
        long params;
        try (WeightStore st = WeightStore.open(GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b/transformer"))) {
            params = st.names().stream().mapToLong(n -> st.entry(n).numel()).sum();
        }
        CliRun r = CliRun.of("inspect", model.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).containsPattern("transformer +CogVideoXTransformer3DModel +F32,Q8_0 +" + String.format("%,d", params) + " .* ok: 2b")
                .doesNotContain("U8").contains("no problems found");
    }

    @Test
    void aNanBlockScaleInAGgufIsReportedLikeANanInSafetensors() throws IOException {
        Path model = modelWithGgufTransformer();
        Path file = model.resolve("transformer/diffusion_pytorch_model-Q8_0.gguf");
        String name = "transformer_blocks.0.attn1.to_q.weight";
        byte[] firstBlock;
        long numel;
        try (GgufFile g = GgufFile.open(file)) {
            assertThat(g.format(name)).isEqualTo(QuantFormat.Q8_0);
            firstBlock = g.entry(name).bytes().asSlice(0, 34).toArray(ValueLayout.JAVA_BYTE);
            numel = g.entry(name).numel();
        }
        byte[] all = Files.readAllBytes(file);
        int at = indexOf(all, firstBlock);
        assertThat(at).as("the tensor's first block, found once in the file").isPositive().isEqualTo(lastIndexOf(all, firstBlock));
        all[at] = 0x00;   // the block's fp16 scale d, little-endian: 0x7e00 is a NaN
        all[at + 1] = 0x7e;
        Files.write(file, all);
        CliRun r = CliRun.of("inspect", model.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).containsPattern("transformer +CogVideoXTransformer3DModel +F32,Q8_0 .* PROBLEM")
                .contains("transformer: 1 weight(s) hold NaN or infinite values").contains(name + " (32 of " + numel + ")");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(byte[] hay, byte[] needle) {
        for (int i = hay.length - needle.length; i >= 0; i--) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
