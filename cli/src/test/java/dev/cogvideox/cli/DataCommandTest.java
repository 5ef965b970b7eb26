package dev.cogvideox.cli;

import dev.cogvideox.data.FakeChatServer;
import dev.cogvideox.data.SyntheticVideos;
import dev.cogvideox.train.data.DatasetIndex;
import dev.cogvideox.verify.GoldenSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cogvideox data prepare} end to end in local mode against the stand-in caption server, then {@code train} on
 * the folder it wrote, as it is; and the command's refusals.
 */
class DataCommandTest {
    private static final Path MODEL = GoldenSuite.defaultFixtureRoot().resolve("models/tiny-cogvideox-2b");

    @TempDir
    Path tmp;

    @Test
    void preparesADatasetThatTrainReadsAsItIs() throws IOException {
        Path in = tmp.resolve("in"), out = tmp.resolve("out");
        SyntheticVideos.write(in.resolve("fast.mp4"), SyntheticVideos.pan(SyntheticVideos.YELLOW, 0.4, 1.5, 1));
        SyntheticVideos.write(in.resolve("two-scenes.mp4"), SyntheticVideos.concat(SyntheticVideos.pan(SyntheticVideos.RED, 0.2, 1.5, 2),
                SyntheticVideos.still(SyntheticVideos.GREEN, 1.5, 3)));
        Files.write(in.resolve("broken.mp4"), new byte[0]);
        Path list = tmp.resolve("inputs.txt");
        Files.write(list, List.of("# the test set", "in/fast.mp4", "in/two-scenes.mp4", "in/broken.mp4", "in/missing.mp4"));
        try (FakeChatServer server = new FakeChatServer()) {
            CliRun r = CliRun.of("data", "prepare", "--input", list.toString(), "--output", out.toString(), "--master", "local[2]",
                    "--conf", "spark.ui.enabled=false", "--vlm", server.url(), "--vlm-model", "a-vlm", "--caption-frames", "2", "--retries", "0");
            assertThat(r.exit()).as(r.err()).isEqualTo(1);                        // two inputs failed
            assertThat(r.out()).contains("4 inputs (2 unreadable): 2 clips kept, 1 rejected, 0 failed");
            assertThat(r.err()).contains("two-scenes.mp4: [clip 0 kept] [clip 1 rejected static]").contains("missing.mp4: failed: video ")
                    .contains("no such file");
            assertThat(server.count("red", "summary")).isEqualTo(1);
        }
        List<String> lines = Files.readAllLines(out.resolve("clips.jsonl"));
        assertThat(lines).hasSize(2).allSatisfy(l -> assertThat(l).contains("\"caption\":\"A ").contains("\"video\":\"clips/"));
        assertThat(out.resolve("report.html")).isNotEmptyFile();
        assertThat(out.resolve("manifest.parquet")).isDirectory();

        // a stage's selection: the clips at least this fast, read as a dataset
        CliRun select = CliRun.of("data", "select", "--data", out.toString(), "--name", "stage2", "--min", "motion=0.3", "--max", "seconds=10");
        assertThat(select.exit()).as(select.err()).isZero();
        assertThat(select.out()).contains("1 clips selected, 1 outside the bounds, 0 without a bounded number; train with --data "
                + out.resolve("selections/stage2.jsonl"));
        DatasetIndex stage2 = DatasetIndex.read(out.resolve("selections/stage2.jsonl"));
        assertThat(stage2.samples()).singleElement().satisfies(d -> assertThat(d.video().normalize().toString()).startsWith(out.resolve("clips/fast-").toString()));
        assertThat(stage2.samples().getFirst().video()).isRegularFile();
        CliRun noScore = CliRun.of("data", "select", "--data", out.toString(), "--name", "scored", "--min", "quality_score=5");
        assertThat(noScore.out()).contains("0 clips selected, 0 outside the bounds, 2 without a bounded number");

        // the latents and prompt embeddings precomputed into the dataset: train encodes nothing and trains as if it had
        CliRun precompute = CliRun.of("data", "precompute", "--model", MODEL.toString(), "--data", out.toString(), "--stages", "32x32x5:2");
        assertThat(precompute.exit()).as(precompute.err()).isZero();
        Path cache = out.resolve("latent-cache");
        assertThat(precompute.out()).contains("2 clip entries in " + cache);
        Map<String, FileTime> before = modificationTimes(cache);
        assertThat(before.keySet()).filteredOn(n -> n.startsWith("latents-")).hasSize(2);
        assertThat(before.keySet()).filteredOn(n -> n.startsWith("prompt-")).hasSize(3);          // two captions and the empty one

        CliRun train = CliRun.of("train", "--model", MODEL.toString(), "--data", out.toString(), "--output", tmp.resolve("lora").toString(),
                "--lora-rank", "2", "--lora-alpha", "2", "--stages", "32x32x5:2", "--lr", "1e-3", "--seed", "1");
        assertThat(train.exit()).as(train.err()).isZero();
        assertThat(train.out()).contains("trained 2 steps");
        assertThat(train.err()).contains("latents and prompt embeddings from the dataset's cache " + cache);
        assertThat(modificationTimes(cache)).isEqualTo(before);                                  // nothing encoded, nothing rewritten
        assertThat(tmp.resolve("lora/cache")).doesNotExist();
        CliRun own = CliRun.of("train", "--model", MODEL.toString(), "--data", out.toString(), "--output", tmp.resolve("own").toString(),
                "--cache", tmp.resolve("own-cache").toString(), "--lora-rank", "2", "--lora-alpha", "2", "--stages", "32x32x5:2", "--lr", "1e-3",
                "--seed", "1");
        assertThat(own.exit()).as(own.err()).isZero();
        assertThat(modificationTimes(tmp.resolve("own-cache")).keySet()).filteredOn(n -> n.startsWith("latents-")).hasSize(2);
        assertThat(Files.readAllLines(tmp.resolve("lora").resolve("loss.jsonl"))).hasSize(2)
                .isEqualTo(Files.readAllLines(tmp.resolve("own").resolve("loss.jsonl")));
    }

    private static Map<String, FileTime> modificationTimes(Path dir) throws IOException {
        Map<String, FileTime> times = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                times.put(f.getFileName().toString(), Files.getLastModifiedTime(f));
            }
        }
        return times;
    }

    @Test
    void generateEnhancesThePromptWithTheSameClientAndRecordsTheRewrittenOne() throws IOException {
        Path out = tmp.resolve("kite.gif");
        try (FakeChatServer server = new FakeChatServer()) {
            CliRun r = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "a red kite", "--frames", "9", "--height", "64",
                    "--width", "64", "--steps", "2", "--output", out.toString(), "--enhance-prompt", server.url(), "--enhance-model", "an-llm");
            assertThat(r.exit()).as(r.err()).isZero();
            String enhanced = "In a detailed scene, a red kite, seen in warm light as the camera glides along.";
            assertThat(r.err()).contains("enhanced prompt: " + enhanced);
            assertThat(RunSettings.readFrom(out).values()).containsEntry("--prompt", enhanced).doesNotContainKey("--enhance-prompt");
            assertThat(server.count("red", "enhance")).isEqualTo(1);                 // (the server files it under the colour it reads)
        }
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CliRun down = CliRun.of("generate", "--model", MODEL.toString(), "--prompt", "a red kite", "--frames", "9", "--height", "64",
                "--width", "64", "--steps", "2", "--output", tmp.resolve("b.gif").toString(), "--enhance-prompt", "http://127.0.0.1:" + port + "/v1");
        assertThat(down.exit()).isEqualTo(2);
        assertThat(down.err()).contains("--enhance-prompt: http://127.0.0.1:" + port + "/v1/chat/completions (model default): cannot reach it");
        assertThat(tmp.resolve("b.gif")).doesNotExist();
    }

    @Test
    void refusesBadOptionsNamingThem() throws IOException {
        Path rules = tmp.resolve("rules.json");
        Files.writeString(rules, "{\"static\": {\"min_motoin\": 0.02}}");
        Files.createDirectories(tmp.resolve("in"));
        Files.write(tmp.resolve("in/a.mp4"), new byte[0]);
        CliRun r = CliRun.of("data", "prepare", "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(), "--rules", rules.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--rules " + rules + ": static.min_motoin: no such threshold (static has min_motion, enabled)");
        CliRun noInput = CliRun.of("data", "prepare", "--input", tmp.resolve("nothing").toString(), "--output", tmp.resolve("out").toString());
        assertThat(noInput.exit()).isEqualTo(2);
        assertThat(noInput.err()).contains("--input " + tmp.resolve("nothing") + ": no such folder or file");
        CliRun score = CliRun.of("data", "prepare", "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(), "--score");
        assertThat(score.exit()).isEqualTo(2);
        assertThat(score.err()).contains("--score needs --vlm");
    }
}
