package dev.cogvideox.cli;

import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --vae-tile} and {@code --vae-tile-overlap} on generate and decode: applied, validated, and checked against the frame. */
class VaeTilingOptionsTest {
    private static final String MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b").toString();

    @TempDir
    Path tmp;

    private CliRun generate(String... extra) {
        String[] base = {"generate", "--model", MODEL, "--prompt", "a cat", "--frames", "9", "--height", "64", "--width", "64",
                "--steps", "2", "--output", tmp.resolve("v.mp4").toString()};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.of(args);
    }

    @Test
    void chosenTilesAreUsedAndNamedInTheMemoryPlan() {
        CliRun r = generate("--vae-tile", "32x32", "--vae-tile-overlap", "0.25");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.exists(tmp.resolve("v.mp4"))).isTrue();
        // 8x8 latents in 4x4-latent tiles advancing by 3: 3 x 3 tiles, one decoder pass each (frame batches: 1 of 3)
        assertThat(r.err()).contains("decoding: 9/9");
    }

    @Test
    void tilesWhoseKeptPartsDoNotMakeTheFrameAreRefusedWithOneThatDoes() {
        CliRun r = generate("--vae-tile", "24x24");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("into 76x76 frames").contains("try --vae-tile 48x40");
        assertThat(Files.exists(tmp.resolve("v.mp4"))).isFalse();
    }

    @Test
    void badValuesNameTheOptionAndWhatItTakes() {
        assertThat(generate("--vae-tile", "32").err()).contains("--vae-tile").contains("256x256");
        assertThat(generate("--vae-tile", "4x4").err()).contains("at least 8x8");
        assertThat(generate("--vae-tile-overlap", "1.5").err()).contains("--vae-tile-overlap").contains("(0, 1)");
        assertThat(generate("--vae-tile-overlap", "0").err()).contains("0 is not possible");
        assertThat(generate("--vae-tile-overlap", "a").err()).contains("--vae-tile-overlap");
        assertThat(generate("--vae-tile", "32x32", "--vae-tile-overlap", "0.9").err()).contains("too small for their overlap");
    }
}
