package dev.cogvideox.cli;

import dev.cogvideox.io.SafetensorsFile;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code quantize} end to end: a fixture model quantized into a folder, then {@code generate --model OUT} against
 * {@code generate --model DIR --weights KIND} (the same quantization on load), latents bit for bit and frames pixel
 * for pixel.
 */
class QuantizeCommandTest {
    private static final Path MODELS = GoldenSuite.defaultFixtureRoot().resolve("models");

    @TempDir
    Path tmp;

    private static List<String> generate(Path model, String output, String... more) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString(), "--prompt", "a red kite over the sea",
                "--frames", "9", "--height", "64", "--width", "64", "--steps", "2", "--seed", "7", "--output", output));
        args.addAll(List.of(more));
        return args;
    }

    private static CliRun ok(List<String> args) {
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        return r;
    }

    private static int[] latentBits(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] v = f.entry("latents").toTensor().data();
            int[] b = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                b[i] = Float.floatToRawIntBits(v[i]);
            }
            return b;
        }
    }

    private static List<Integer> pixels(Path folder) throws IOException {
        List<Integer> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.sorted().toList()) {
                BufferedImage img = ImageIO.read(p.toFile());
                for (int v : img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth())) {
                    all.add(v);
                }
            }
        }
        assertThat(all).as(folder.toString()).hasSize(9 * 64 * 64);
        return all;
    }

    @ParameterizedTest
    @CsvSource({"tiny-cogvideox-2b, q8_0, Q8_0", "tiny-cogvideox-5b, q4, Q4_0"})
    void theQuantizedFolderGeneratesWhatQuantizingOnLoadGenerates(String name, String kind, String format) throws IOException {
        Path model = MODELS.resolve(name), out = tmp.resolve("quantized");
        CliRun q = ok(List.of("quantize", "--model", model.toString(), "--weights", kind, "--out", out.toString()));
        assertThat(q.out()).contains("transformer: ").contains("diffusion_pytorch_model-" + format + ".gguf")
                .contains("text_encoder: ").contains("model-" + format + ".gguf").containsPattern("wrote .* [KM]iB -> .* [KM]iB \\(\\d+%\\)");
        assertThat(q.err()).contains("quantizing transformer to " + format.toLowerCase()).contains("copying the other files");
        assertThat(out.resolve("transformer/diffusion_pytorch_model-" + format + ".gguf")).isRegularFile();
        assertThat(out.resolve("transformer/diffusion_pytorch_model.safetensors")).doesNotExist();

        ok(generate(model, tmp.resolve("onload/latents.safetensors").toString(), "--weights", kind));
        ok(generate(out, tmp.resolve("folder/latents.safetensors").toString()));
        ok(generate(model, tmp.resolve("stored/latents.safetensors").toString()));
        int[] onLoad = latentBits(tmp.resolve("onload/latents.safetensors"));
        assertThat(latentBits(tmp.resolve("folder/latents.safetensors"))).as("latents, bit for bit").containsExactly(onLoad);
        assertThat(latentBits(tmp.resolve("stored/latents.safetensors"))).as("the unquantized model's latents").isNotEqualTo(onLoad);

        ok(generate(model, tmp.resolve("onload-frames") + "/", "--weights", kind));
        ok(generate(out, tmp.resolve("folder-frames") + "/"));
        assertThat(pixels(tmp.resolve("folder-frames"))).containsExactlyElementsOf(pixels(tmp.resolve("onload-frames")));
    }

    @Test
    void errorsAreOneLineNamingTheProblem() throws IOException {
        Path model = MODELS.resolve("tiny-cogvideox-2b"), out = tmp.resolve("out");
        assertError(List.of("quantize", "--model", model.toString(), "--weights", "int8", "--out", out.toString()), "no GGUF type", "q8_0");
        assertError(List.of("quantize", "--model", model.toString(), "--weights", "fp8", "--out", out.toString()), "--weights must be");
        assertError(List.of("quantize", "--model", model.toString(), "--weights", "q4", "--components", "transformer,unet", "--out",
                out.toString()), "no component unet");
        assertError(List.of("quantize", "--model", model.toString(), "--weights", "q4", "--components", "vae", "--out", out.toString()),
                "no linear layer weights");
        Files.createDirectories(out.resolve("x"));
        assertError(List.of("quantize", "--model", model.toString(), "--weights", "q4", "--out", out.toString()), "exists");
        CliRun r = CliRun.of("quantize", "--model", model.toString(), "--weights", "q4");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("--out");
    }

    private static void assertError(List<String> args, String... message) {
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isNotZero();
        assertThat(r.err()).contains("error:").contains(message).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
