package dev.cogvideox.cli;

import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
