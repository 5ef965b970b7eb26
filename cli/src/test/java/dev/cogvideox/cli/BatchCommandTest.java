package dev.cogvideox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code batch} on Spark in this JVM ({@code local[2]}: two lines at once) on the fixtures' tiny 2b model: a line with
 * the reference's settings and recorded draws reproduces the reference's frames, a line that fails on the executor
 * and lines refused on the driver are in the manifest with their reasons while the others finish, the model is opened
 * once, and a rerun skips what is done.
 */
class BatchCommandTest {
    private static final Path FIXTURES = GoldenSuite.defaultFixtureRoot();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOLDEN = "pipeline_e2e_t2v_2b_prompt";

    @TempDir
    Path tmp;

    /** The reference case as a line: its prompt and settings (its negative prompt None is "", over the batch's), its recorded draws, PNG frames out. */
    private static String goldenLine() throws IOException {
        JsonNode a = JSON.readTree(FIXTURES.resolve("golden/" + GOLDEN + ".json").toFile()).path("arguments");
        ObjectNode line = JSON.createObjectNode().put("prompt", a.path("prompt").asText()).put("negative_prompt", "").put("frames", a.path("num_frames").asInt())
                .put("height", a.path("height").asInt()).put("width", a.path("width").asInt())
                .put("steps", a.path("num_inference_steps").asInt()).put("guidance", a.path("guidance_scale").asDouble())
                .put("dynamic_cfg", a.path("use_dynamic_cfg").asBoolean(false))
                .put("noise", FIXTURES.resolve("golden/" + GOLDEN + ".safetensors").toString()).put("output", "reference/");
        return JSON.writeValueAsString(line);
    }

    /** A copy of the tiny 2b model in a folder of this test's own, so that no other test opened it in this JVM before. */
    private Path model() throws IOException {
        Path src = FIXTURES.resolve("models/tiny-cogvideox-2b"), dst = tmp.resolve("model");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : files.toList()) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return dst;
    }

    @Test
    void failuresAreReportedWhileTheOtherLinesFinishAndARerunSkipsWhatIsDone() throws IOException {
        Path model = model();
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, String.join("\n",
                goldenLine(),
                "{\"prompt\": \"a red ball rolls\", \"seed\": 7, \"output\": \"ball.mp4\"}",
                "{\"prompt\": \"a blue cube\", \"frames\": 10}",
                "{\"prompt\": \"a cone\", \"stpes\": 4}",
                "{\"prompt\": \"a cone\", \"steps\": \"four\"}",
                "{\"prompt\": \"a green cone\", \"guidance\": 1, \"output\": \"cone.gif\"}") + "\n");
        Path out = tmp.resolve("out");
        String[] args = {"batch", "--prompts", prompts.toString(), "--output", out.toString(), "--model", model.toString(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--steps", "2", "--negative-prompt", "blurry"};
        int loads = BatchRunner.LOADS.get();
        CliRun r = CliRun.of(args);

        assertThat(r.exit()).as(r.err()).isEqualTo(1);                               // some lines failed
        assertThat(BatchRunner.LOADS.get() - loads).as("model openings for 3 lines").isEqualTo(1);
        assertThat(r.out()).as(r.err()).contains("3 generated, 0 done earlier (skipped), 3 failed");
        assertThat(r.err()).contains("failed line 4: unknown key \"stpes\"").contains("done ball.mp4");
        GenerateCommandTest.assertPngFramesMatch(out.resolve("reference"), GOLDEN);
        assertThat(out.resolve("ball.mp4")).isNotEmptyFile();
        assertThat(out.resolve("cone.gif")).isNotEmptyFile();
        assertThat(out.resolve("00003.mp4")).doesNotExist();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("reference", "ball.mp4", "cone.gif", "manifest.jsonl");
        }
        List<JsonNode> manifest = manifest(out);
        assertThat(manifest).extracting(e -> e.path("status").asText()).containsExactly("done", "done", "failed", "failed", "failed", "done");
        assertThat(manifest.get(2).path("reason").asText()).startsWith("--frames 10: the 2b model was trained on 8N+1 frames");
        // the keys offered instead are generate's, less those a line may not set
        String unknown = manifest.get(3).path("reason").asText();
        assertThat(unknown).contains("unknown key \"stpes\"").contains("steps, ").contains("negative_prompt");
        assertThat(unknown).doesNotContain("load_timeout").doesNotContain("collective_timeout").doesNotContain("parallel")
                .doesNotContain("num_videos").doesNotContain(" model,").doesNotContain("revision");
        assertThat(manifest.get(4).path("reason").asText()).contains("'four' is not an int");
        assertThat(manifest).allSatisfy(e -> assertThat(e.path("reason").asText()).doesNotContain("\tat ").doesNotContain("Exception"));
        // the settings each video was made with: the batch's defaults under the line's own options
        JsonNode ball = manifest.get(1).path("settings").path("options");
        assertThat(ball.path("--seed").asLong()).isEqualTo(7);
        assertThat(ball.path("--steps").asInt()).isEqualTo(2);
        assertThat(ball.path("--negative-prompt").asText()).isEqualTo("blurry");
        assertThat(manifest.get(0).path("settings").path("options").path("--steps").asInt()).isEqualTo(3);
        assertThat(manifest.get(5).path("settings").path("options").path("--guidance").asDouble()).isEqualTo(1.0);
        assertThat(manifest.get(1).path("executor").asText()).isEqualTo("driver");

        // the rerun skips the three done lines (their files untouched) and reports the failed ones again
        long ballWritten = Files.getLastModifiedTime(out.resolve("ball.mp4")).toMillis();
        CliRun again = CliRun.of(args);
        assertThat(again.exit()).as(again.err()).isEqualTo(1);
        assertThat(again.out()).contains("0 generated, 3 done earlier (skipped), 3 failed");
        assertThat(Files.getLastModifiedTime(out.resolve("ball.mp4")).toMillis()).isEqualTo(ballWritten);
        assertThat(manifest(out)).hasSize(6);

        // a line whose options changed is made again; the one fixed now runs
        Files.writeString(prompts, Files.readString(prompts).replace("\"seed\": 7", "\"seed\": 8").replace("\"frames\": 10", "\"frames\": 9"));
        CliRun third = CliRun.of(args);
        assertThat(third.out()).as(third.err()).contains("2 generated, 2 done earlier (skipped), 2 failed");
        assertThat(manifest(out).get(1).path("settings").path("options").path("--seed").asLong()).isEqualTo(8);
        assertThat(out.resolve("00003.mp4")).isNotEmptyFile();
    }

    @Test
    void badDefaultsAndAMissingPromptsFileStopTheBatchBeforeSparkStarts() throws IOException {
        Path prompts = Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"x\"}\n");
        CliRun bad = CliRun.of("batch", "--prompts", prompts.toString(), "--output", tmp.resolve("o").toString(),
                "--model", FIXTURES.resolve("models/tiny-cogvideox-2b").toString(), "--guidance", "-1");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("error: batch options: --guidance must be a finite number >= 0");
        CliRun missing = CliRun.of("batch", "--prompts", tmp.resolve("none.jsonl").toString(), "--output", tmp.resolve("o").toString(),
                "--model", FIXTURES.resolve("models/tiny-cogvideox-2b").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("none.jsonl: no such file");
    }

    @Test
    void generateOptionsGivenToBatchBecomeEveryLinesDefaultsAsGenerateArguments() {
        picocli.CommandLine cl = Main.commandLine();
        cl.parseArgs("batch", "--prompts", "p.jsonl", "-o", "out", "--model", "m", "--master", "local[2]", "--conf", "spark.a=b",
                "--steps", "4", "--no-dynamic-cfg", "--vae-tiling", "--seed", "5", "--lora", "loras/x.safetensors", "--image-fit", "crop");
        BatchCommand batch = cl.getSubcommands().get("batch").getCommand();
        assertThat(batch.defaults()).containsExactlyInAnyOrder("--steps", "4", "--no-dynamic-cfg", "--vae-tiling", "--seed", "5",
                "--lora", Path.of("loras/x.safetensors").toAbsolutePath().toString(), "--image-fit", "crop");
        assertThat(batch.conf).containsEntry("spark.a", "b");
        // and batch's help shows them, but the ones a line or the batch decides
        String help = cl.getSubcommands().get("batch").getUsageMessage();
        assertThat(help).contains("--steps=<steps>").contains("--negative-prompt").contains("--prompts").doesNotContain("--prompt=")
                .doesNotContain("--num-videos").doesNotContain("--from");
    }

    static List<JsonNode> manifest(Path out) throws IOException {
        List<JsonNode> entries = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
            entries.add(JSON.readTree(line));
        }
        return entries;
    }
}
