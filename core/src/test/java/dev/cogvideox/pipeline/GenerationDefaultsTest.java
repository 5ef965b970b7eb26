package dev.cogvideox.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.synth.Variant;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The call parameters a model runs with by default, from its configs (published-models.md, diffusers' __call__). */
class GenerationDefaultsTest {
    @TempDir
    Path tmp;

    private GenerationDefaults published(Variant v) throws IOException {
        Path dir = tmp.resolve(v.id());
        Files.createDirectories(dir.resolve("transformer"));
        Files.createDirectories(dir.resolve("vae"));
        ObjectMapper json = new ObjectMapper();
        json.writeValue(dir.resolve("transformer/config.json").toFile(), v.transformerConfig());
        json.writeValue(dir.resolve("vae/config.json").toFile(), v.vaeConfig());
        return GenerationDefaults.of(dir);
    }

    @Test
    void publishedModelsRunAtTheOfficialOperatingPoints() throws IOException {
        for (Variant v : new Variant[]{Variant.COGVIDEOX_2B, Variant.COGVIDEOX_5B}) {
            GenerationDefaults d = published(v);
            assertThat(new int[]{d.frames(), d.height(), d.width()}).as(v.id()).containsExactly(49, 480, 720);
            assertThat(d.fps()).isEqualTo(8);
            assertThat(d.steps()).isEqualTo(50);
            assertThat(d.guidance()).isEqualTo(6.0);
        }
        GenerationDefaults d15 = published(Variant.of("1.5-5b"));
        // sample_height/width 300 x 300 latents only bound the RoPE grid: the official 1360 x 768, 81 frames, 16 fps
        assertThat(new int[]{d15.frames(), d15.height(), d15.width()}).containsExactly(81, 768, 1360);
        assertThat(d15.fps()).isEqualTo(16);
        assertThat(d15.frameStep()).isEqualTo(16);
    }

    @Test
    void aSmallerModelGetsItsOwnSize() {
        Path models = GoldenSuite.defaultFixtureRoot().resolve("models");
        GenerationDefaults d2b = GenerationDefaults.of(models.resolve("tiny-cogvideox-2b"));
        assertThat(new int[]{d2b.frames(), d2b.height(), d2b.width()}).containsExactly(9, 64, 64);   // 8 x 8 latents, 9 frames
        // tiny 1.5: 16 x 16 latents bound the grid to 128 x 128 pixels; 1360 x 768 scaled to fit is 128 x 72, floored to 16s;
        // 9 sample frames are not 16N+1: the next count that is
        GenerationDefaults d15 = GenerationDefaults.of(models.resolve("tiny-cogvideox1.5-5b"));
        assertThat(new int[]{d15.frames(), d15.height(), d15.width()}).containsExactly(17, 64, 128);
        d15.checkSize("1.5-5b", d15.height(), d15.width());
        d15.checkFrames("1.5-5b", d15.frames());
    }

    @Test
    void sizesBeyondTheConfigsAreRefusedInPixelsNamingTheOptions() {
        Path models = GoldenSuite.defaultFixtureRoot().resolve("models");
        GenerationDefaults d15 = GenerationDefaults.of(models.resolve("tiny-cogvideox1.5-5b"));
        assertThatThrownBy(() -> d15.checkSize("1.5-5b", 768, 1360))
                .hasMessageContaining("--height 768 --width 1360").hasMessageContaining("at most 128x128 pixels")
                .hasMessageNotContaining("RoPE grid");
        GenerationDefaults i2v = GenerationDefaults.of(models.resolve("tiny-cogvideox-5b-i2v"));
        assertThatThrownBy(() -> i2v.checkSize("5b-i2v", 128, 128)).hasMessageContaining("only takes --height 64 --width 64");
        assertThatThrownBy(() -> i2v.checkSize("5b-i2v", 72, 64)).hasMessageContaining("multiples of 16");
        assertThatThrownBy(() -> d15.checkFrames("1.5-5b", 41)).hasMessageContaining("--frames 41").hasMessageContaining("16N+1");
        CogVideoXTransformerConfig five = CogVideoXTransformerConfig.read(models.resolve("tiny-cogvideox-5b/transformer/config.json"));
        GenerationDefaults.of(five, null, null).checkSize("5b", 768, 1360);   // 1.0 RoPE fits any grid (linspace resize-crop)
    }
}
