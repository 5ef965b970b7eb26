package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.verify.GoldenSuite;
import dev.cogvideox.world.HeldOut;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cogvideox world ...} and {@code cogvideox evaluate} end to end. */
class WorldCommandTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    @Test
    void aRenderedDatasetTrainsWithTheTrainCommand() throws IOException {
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        CliRun made = CliRun.of("world", "dataset", "--out", data.toString(), "--clips", "3", "--seed", "2", "--width", "32", "--height", "32",
                "--frames", "5,9");
        assertThat(made.exit()).as(made.err()).isZero();
        assertThat(made.out()).contains("wrote 3 clips (32x32, frames [5, 9], 224 seen combinations)");
        assertThat(Files.readAllLines(data.resolve("videos.txt"))).containsExactly("videos/000000.gif", "videos/000001.gif", "videos/000002.gif");
        assertThat(ImageIO.read(data.resolve("videos/000001.gif").toFile()).getWidth()).isEqualTo(32);
        CliRun trained = CliRun.of("train", "--model", MODEL.toString(), "--data", data.toString(), "--output", out.toString(), "--full",
                "--stages", "32x32x5:2", "--checkpoint-every", "0", "--validation-steps", "1", "--seed", "1");
        assertThat(trained.exit()).as(trained.err()).isZero();
        assertThat(trained.out()).contains("trained 2 steps").doesNotContain("skipped");
    }

    @Test
    void aClipOfAPromptIsDetectedAsThatPromptAndDrawnAsAStrip() throws IOException {
        Path gif = tmp.resolve("clip.gif");
        String prompt = "a yellow triangle moving right on a navy background";
        CliRun made = CliRun.of("world", "clip", "--prompt", prompt, "-o", gif.toString(), "--seed", "3");
        assertThat(made.exit()).as(made.err()).isZero();
        assertThat(made.out()).contains("wrote " + prompt + " (96x96, 17 frames");
        CliRun right = CliRun.of("world", "detect", "--video", gif.toString(), "--prompt", prompt);
        assertThat(right.exit()).as(right.err()).isZero();
        assertThat(right.out()).contains("shape found in 17", "colour:     yellow  (right)", "shape:      triangle  (right)",
                "direction:  right", "background: navy  (right)").doesNotContain("(wrong)");
        CliRun wrong = CliRun.of("world", "detect", "--video", gif.toString(), "--prompt", "a yellow triangle moving left on a navy background");
        assertThat(wrong.out()).containsOnlyOnce("(wrong)").containsPattern("direction: +right .*\\(wrong\\)");
        Path strip = tmp.resolve("strip.png");
        CliRun drawn = CliRun.of("world", "strip", "--video", gif.toString(), "-o", strip.toString(), "--every", "5");
        assertThat(drawn.exit()).as(drawn.err()).isZero();
        assertThat(drawn.out()).contains("wrote frames [0, 5, 10, 15, 16]");
        BufferedImage picture = ImageIO.read(strip.toFile());
        assertThat(picture.getWidth()).isEqualTo(5 * 96 + 4 * 2);
        assertThat(picture.getHeight()).isEqualTo(96);
        assertThat(picture.getRGB(96, 10)).isEqualTo(0xffffffff);                   // the gap
        assertThat(picture.getRGB(0, 0)).isEqualTo(0xff000080);                     // navy
        CliRun bad = CliRun.of("world", "clip", "--prompt", "a cat", "-o", tmp.resolve("x.gif").toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).startsWith("error: prompt 'a cat': expected a colour");
    }

    /** The tiny random model scores about nothing; what is checked is the report's shape and counts. */
    @Test
    void evaluateReportsEveryVideoAndBothGroupsAsJson() throws IOException {
        Path prompts = tmp.resolve("prompts.txt"), videos = tmp.resolve("videos");
        Files.write(prompts, List.of(HeldOut.combinations().get(1).prompt()));
        CliRun r = CliRun.of("evaluate", "--model", MODEL.toString(), "--prompts", prompts.toString(), "--seeds", "1", "--steps", "2",
                "--json", "--videos", videos.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("1 prompts x 1 seeds, 9 frames of 64x64, 2 steps", "[1/1] " + HeldOut.combinations().get(1).prompt() + ", seed 0 (held-out)");
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.at("/settings/frames").asInt()).isEqualTo(9);
        assertThat(json.at("/settings/size").asText()).isEqualTo("64x64");
        assertThat(json.at("/groups/held_out/videos").asInt()).isEqualTo(1);
        assertThat(json.at("/groups/seen/videos").asInt()).isZero();
        assertThat(json.at("/groups/seen/colour").isNull()).isTrue();
        for (String k : List.of("colour", "shape", "direction", "all_three", "found", "background_flicker", "area_flicker")) {
            assertThat(json.at("/groups/held_out/" + k).isNumber()).as(k).isTrue();
        }
        assertThat(json.get("videos")).hasSize(1);
        JsonNode v = json.get("videos").get(0);
        assertThat(v.get("seed").asInt()).isZero();
        assertThat(v.at("/expected/colour").asText()).isEqualTo(HeldOut.combinations().get(1).colour().word());
        assertThat(v.at("/detected/frames").asInt()).isEqualTo(9);
        assertThat(ImageIO.read(videos.resolve("held_out-000-seed0.gif").toFile()).getWidth()).isEqualTo(64);
    }

    /** The sampling levers and quantized weights of generate reach evaluate's videos and its report. */
    @Test
    void evaluateTakesGeneratesSamplingLeversAndWeights() throws IOException {
        Path prompts = tmp.resolve("prompts-levers.txt");
        Files.write(prompts, List.of(HeldOut.combinations().get(2).prompt(), HeldOut.combinations().get(3).prompt()));
        CliRun plain = CliRun.of("evaluate", "--model", MODEL.toString(), "--prompts", prompts.toString(), "--seeds", "1", "--steps", "3", "--json");
        CliRun levers = CliRun.of("evaluate", "--model", MODEL.toString(), "--prompts", prompts.toString(), "--seeds", "1", "--json",
                "--timesteps", "999,600,300", "--cache", "teacache:1", "--weights", "int8");
        assertThat(plain.exit()).as(plain.err()).isZero();
        assertThat(levers.exit()).as(levers.err()).isZero();
        JsonNode s = new ObjectMapper().readTree(levers.out()).get("settings");
        assertThat(s.get("timesteps").asText()).isEqualTo("999,600,300");
        assertThat(s.get("cache").asText()).isEqualTo("teacache:1");
        assertThat(s.get("weights").asText()).isEqualTo("int8");
        assertThat(new ObjectMapper().readTree(plain.out()).get("settings").has("cache")).isFalse();
        // one summary over the videos (the list's 3 steps, the first and last always computed), not a line per video
        assertThat(levers.err()).containsOnlyOnce("cache teacache:1").contains("cache teacache:1 (the published CogVideoX-2b polynomial) "
                + "over 2 generations: transformer blocks computed at 2 of 3 steps (mean 2.0)");
        assertThat(s.get("cache_computed_steps").toString()).isEqualTo("[2,2]");
        CliRun bad = CliRun.of("evaluate", "--model", MODEL.toString(), "--prompts", prompts.toString(), "--seeds", "1", "--cache", "teacache:7");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--cache");
    }

    @Test
    void probeNamesTheOptionOfABadTimestep() {
        CliRun bad = CliRun.of("world", "probe", "--model", MODEL.toString(), "--timesteps", "100,1000");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--timesteps: timestep 1000 is outside [0, 1000)");
    }
}
