package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.model.cache.PolynomialFit;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code cogvideox cache calibrate} end to end on the fixtures' tiny 2b, and its file used by generate. */
class CacheCommandTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    /**
     * Two prompts, one seed, 8 steps: 14 step-to-step points (steps 1-7 of two generations) from retention step 1, the
     * file's coefficients are the least-squares polynomial through its own per-step means (the embedding's change is
     * the same in every generation: it depends on the timestep only, so the fit over the points is the fit over the
     * means), and generate takes the file, given or as the model folder's teacache.json, and says so.
     */
    @Test
    void calibrateWritesAPolynomialThatGenerateTakes() throws IOException {
        Path prompts = tmp.resolve("prompts.txt"), out = tmp.resolve("calibration.json");
        Files.write(prompts, List.of("# two prompts", "a red circle moving left", "", "a lighthouse at night"));
        CliRun r = CliRun.of("cache", "calibrate", "--model", MODEL.toString(), "--prompts", prompts.toString(), "--seeds", "1",
                "--steps", "8", "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("2 prompts x 1 seeds, 8 steps", "calibrating: 2/2");
        assertThat(r.out()).contains("wrote " + out, "fitted to the residual change over 14 points (2 generations)");
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.get("coefficients")).hasSize(5);
        assertThat(json.get("retention_steps").asInt()).isEqualTo(1);
        assertThat(json.at("/fit/points").asInt()).isEqualTo(14);
        assertThat(json.get("steps").asInt()).isEqualTo(8);
        assertThat(json.get("variant").asText()).isEqualTo("2b");
        JsonNode means = json.get("step_means");
        assertThat(means).hasSize(7);
        double[] x = new double[7], y = new double[7];
        for (int i = 0; i < 7; i++) {
            assertThat(means.get(i).get("step").asInt()).isEqualTo(i + 1);
            x[i] = means.get(i).get("input_change").asDouble();
            y[i] = means.get(i).get("residual_change").asDouble();
            assertThat(x[i]).isPositive();
            assertThat(y[i]).isPositive();
            assertThat(means.get(i).get("output_change").asDouble()).isPositive();
        }
        double[] expected = PolynomialFit.fit(x, y, 4).coefficients();
        for (int i = 0; i < 5; i++) {
            assertThat(json.get("coefficients").get(i).asDouble()).isCloseTo(expected[i], within(1e-6 * Math.max(1, Math.abs(expected[i]))));
        }

        CliRun given = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "a lighthouse", "--frames", "9", "--height", "64",
                "--width", "64", "--steps", "6", "--output", tmp.resolve("given") + "/", "--cache", "teacache:0.3:" + out);
        assertThat(given.exit()).as(given.err()).isZero();
        assertThat(given.err()).contains("cache teacache:0.3:" + out + " (" + out + " (fitted to " + MODEL + ")): transformer blocks computed at");

        Path copy = tmp.resolve("model");
        copyTree(MODEL, copy);
        Files.copy(out, copy.resolve("teacache.json"));
        CliRun own = CliRun.of("generate", "--model", copy.toString(), "--prompt", "a lighthouse", "--frames", "9", "--height", "64",
                "--width", "64", "--steps", "6", "--output", tmp.resolve("own") + "/", "--cache", "teacache:0.3");
        assertThat(own.exit()).as(own.err()).isZero();
        assertThat(own.err()).contains("cache teacache:0.3 (" + copy.resolve("teacache.json") + " (fitted to " + MODEL + ")): ");
    }

    /** Retention steps: the fit starts after them, and the file makes TeaCache compute them. */
    @Test
    void retentionStepsAreLeftOutOfTheFitAndComputed() throws IOException {
        Path out = tmp.resolve("ret.json");
        Path prompts = tmp.resolve("one.txt");
        Files.write(prompts, List.of("a lighthouse"));
        CliRun r = CliRun.of("cache", "calibrate", "--model", MODEL.toString(), "--prompts", prompts.toString(), "--seeds", "1",
                "--steps", "10", "--retention-steps", "3", "--target", "output", "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("fitted to the output change over 7 points (1 generations)");   // steps 3-9
        CliRun g = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "a lighthouse", "--frames", "9", "--height", "64",
                "--width", "64", "--steps", "10", "--output", tmp.resolve("g") + "/", "--cache", "teacache:1:" + out);
        assertThat(g.exit()).as(g.err()).isZero();
        assertThat(g.err()).contains("steps 0-2 always computed): transformer blocks computed at ").contains(" of 10 steps (0-2, ");
    }

    @Test
    void badOptionsAndFilesAreErrorsNamingThem() throws IOException {
        Path out = tmp.resolve("c.json");
        String[][] bad = {
                {"--steps", "5"}, {"--steps must be at least 6"},
                {"--seeds", "0"}, {"--seeds must be at least 1"},
                {"--target", "noise"}, {"--target 'noise': the fit target is residual or output"},
                {"--retention-steps", "46"}, {"--retention-steps must be between 1 and 45 at 50 steps"},
                {"--prompts", tmp.resolve("none.txt").toString()}, {"--prompts " + tmp.resolve("none.txt") + ": no such file"},
        };
        for (int i = 0; i < bad.length; i += 2) {
            List<String> args = new java.util.ArrayList<>(List.of("cache", "calibrate", "--model", MODEL.toString(), "--out", out.toString()));
            args.addAll(List.of(bad[i]));
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", bad[i])).isNotZero();
            assertThat(r.err()).as(String.join(" ", bad[i])).contains(bad[i + 1][0]);
        }
        CliRun folder = CliRun.of("cache", "calibrate", "--model", MODEL.toString(), "--out", tmp.toString());
        assertThat(folder.err()).contains("--out " + tmp + " is a folder");
        assertThat(out).doesNotExist();

        Path wrong = tmp.resolve("wrong.json");
        Files.writeString(wrong, "{\"coefficients\": [1, 2, 3]}");
        CliRun g = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "a lighthouse", "--steps", "2",
                "--output", tmp.resolve("g") + "/", "--cache", "teacache:0.2:" + wrong);
        assertThat(g.exit()).isNotZero();
        assertThat(g.err()).contains("--cache teacache:0.2:" + wrong + ": " + wrong + ": \"coefficients\" has 3 numbers");
        assertThat(g.err()).doesNotContain("Exception", "\tat ");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
