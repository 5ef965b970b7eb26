package dev.cogvideox.data.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.data.FakeChatServer;
import dev.cogvideox.data.SyntheticVideos;
import dev.cogvideox.data.caption.Captioner;
import dev.cogvideox.data.caption.ChatClient;
import dev.cogvideox.data.caption.Endpoint;
import dev.cogvideox.data.rules.Rules;
import dev.cogvideox.io.video.MediaReader;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressBar;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code data prepare} on Spark in this JVM ({@code local[2]}) over the synthetic test set, against the stand-in caption
 * server: the scene cuts, each rule's verdict on the clip made for it, the failed inputs, the captions and scores in the
 * manifest, a clip the server failed for (500s, garbage) marked with the reason while the others are kept, the dataset
 * {@code train --data} reads, the report, and a rerun that pays for no answer twice.
 */
class DataJobTest {
    @TempDir
    static Path tmp;
    static Path in;
    static FakeChatServer server;

    @BeforeAll
    static void videos() throws IOException {
        in = tmp.resolve("in");
        SyntheticVideos.writeSet(in);
        server = new FakeChatServer().mode("green", FakeChatServer.Mode.LOW_SCORE).mode("blue", FakeChatServer.Mode.ERROR_500)
                .mode("cyan", FakeChatServer.Mode.GARBAGE);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static ClipSettings settings(Path out, String url) {
        Captioner.Settings captions = new Captioner.Settings(new Endpoint(url, "vlm", null), new Endpoint(url, "llm", "secret"), true,
                new ChatClient.Settings(5, 2, 0.02, 0, out.resolve("cache").toString()));
        return new ClipSettings(out.toString(), Rules.defaults(), captions, 3);
    }

    static DataJob.Summary run(Path input, Path out, ByteArrayOutputStream console) {
        ProgressBar bar = new ProgressBar(new PrintStream(console, true), false, 80, System::nanoTime);
        return DataJob.run(new DataJob.Settings(input, out, "local[2]", Map.of("spark.ui.enabled", "false"), settings(out, server.url())),
                bar, new CancellationToken());
    }

    /** The manifest's rows, keyed "input-file#clip". */
    static Map<String, Row> manifest(Path out) {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            Map<String, Row> rows = new LinkedHashMap<>();
            for (Row r : spark.read().parquet(out.resolve(Manifest.NAME).toString()).collectAsList()) {
                rows.put(Path.of(r.<String>getAs("input")).getFileName() + "#" + r.<Integer>getAs("clip_index"), r);
            }
            return rows;
        } finally {
            spark.stop();
        }
    }

    static List<String> list(Row r, String column) {
        return r.isNullAt(r.fieldIndex(column)) ? List.of() : new ArrayList<>(r.getList(r.fieldIndex(column)));
    }

    @Test
    void filtersCaptionsAndRecordsEveryClipAndARerunPaysForNothingTwice() throws IOException {
        Path out = tmp.resolve("out");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        DataJob.Summary s = run(in, out, console);

        // scenes: 4 clips; static, slideshow, text, fast, slow, shaky: 1 each; empty and garbage: a failed row each
        assertThat(s).isEqualTo(new DataJob.Summary(9, 2, 3, 5, 2));
        Map<String, Row> m = manifest(out);
        assertThat(m).hasSize(12);
        // hard cuts every 1.5 s (24 frames at 16 fps)
        for (int c = 0; c < 4; c++) {
            Row r = m.get("scenes.mp4#" + c);
            assertThat(r.<Double>getAs("start_seconds")).isCloseTo(1.5 * c, within(1e-9));
            assertThat(r.<Integer>getAs("frames")).isEqualTo(24);
        }
        assertThat(m.get("scenes.mp4#0").<String>getAs("status")).isEqualTo("kept");
        assertThat(m.get("fast.mp4#0").<String>getAs("status")).isEqualTo("kept");
        assertThat(m.get("slow.mp4#0").<String>getAs("status")).isEqualTo("kept");
        assertThat(m.get("fast.mp4#0").<Double>getAs("motion")).isCloseTo(0.4, within(0.06));
        assertThat(m.get("slow.mp4#0").<Double>getAs("motion")).isCloseTo(0.05, within(0.015));
        assertThat(m.get("scenes.mp4#0").<Double>getAs("motion")).isCloseTo(0.2, within(0.03));
        // each rule on the clip made for it
        assertThat(list(m.get("static.mp4#0"), "tags")).containsExactly("static");
        assertThat(list(m.get("slideshow.mp4#0"), "tags")).contains("slideshow");
        assertThat(list(m.get("text.mp4#0"), "tags")).contains("text_dominated");
        assertThat(list(m.get("shaky.mp4#0"), "tags")).containsExactly("shaky");
        assertThat(list(m.get("static.mp4#0"), "reasons").getFirst()).startsWith("static: motion 0.00").endsWith("frame widths/s < 0.01");
        for (String rejected : new String[]{"static.mp4#0", "slideshow.mp4#0", "text.mp4#0", "shaky.mp4#0"}) {
            assertThat(m.get(rejected).<String>getAs("status")).as(rejected).isEqualTo("rejected");
            assertThat(m.get(rejected).<String>getAs("clip")).isNull();
        }
        // the scorer's verdict, and the clips the server failed for
        Row green = m.get("scenes.mp4#1");
        assertThat(green.<String>getAs("status")).isEqualTo("rejected");
        assertThat(green.<Double>getAs("quality_score")).isEqualTo(3.0);
        assertThat(list(green, "reasons")).containsExactly("low_quality_score: quality score 3.00 < 4.0");
        Row blue = m.get("scenes.mp4#2");
        assertThat(blue.<String>getAs("status")).isEqualTo("failed");
        assertThat(list(blue, "reasons").getFirst()).startsWith("quality score: " + server.url() + "/chat/completions (model vlm): HTTP 500")
                .endsWith("(tried 3 times)");
        assertThat(server.count("blue", "score")).isEqualTo(3);
        Row cyan = m.get("scenes.mp4#3");
        assertThat(cyan.<String>getAs("status")).isEqualTo("failed");
        assertThat(list(cyan, "reasons").getFirst()).contains("answered something that is not JSON: \"<html>502 Bad Gateway</html>\"");
        // bad inputs
        assertThat(list(m.get("empty.mp4#-1"), "reasons").getFirst()).endsWith("empty.mp4: is empty (0 bytes)");
        assertThat(list(m.get("garbage.mp4#-1"), "reasons").getFirst()).contains("garbage.mp4: cannot read it (not a video, or damaged)");
        // captions: short, one per sampled frame, merged
        Row red = m.get("scenes.mp4#0");
        assertThat(red.<String>getAs("short_caption")).isEqualTo("A red rippled texture drifts across the view (3 frames).");
        assertThat(list(red, "frame_captions")).hasSize(3).allSatisfy(c -> assertThat(c).isEqualTo("A close view of a red rippled texture, lit evenly."));
        assertThat(red.<String>getAs("caption")).isEqualTo("A red rippled texture fills the view and drifts steadily as the camera pans; 3 moments described.");
        assertThat(red.<Double>getAs("quality_score")).isEqualTo(7.0);
        assertThat(m.get("fast.mp4#0").<String>getAs("caption")).startsWith("A yellow ");
        assertThat(m.get("slow.mp4#0").<String>getAs("caption")).startsWith("A magenta ");

        // the dataset: the kept clips, whole, with their captions
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("clips.jsonl"))) {
            lines.add(new ObjectMapper().readTree(l));
        }
        assertThat(lines).extracting(l -> l.path("caption").asText()).containsExactly(m.get("fast.mp4#0").getAs("caption"),
                red.getAs("caption"), m.get("slow.mp4#0").getAs("caption"));          // in input path order
        assertThat(lines.get(1).path("video").asText()).isEqualTo(red.getAs("clip")).startsWith("clips/scenes-").endsWith("-000.mp4");
        assertThat(MediaReader.readVideo(out.resolve(lines.get(1).path("video").asText())).shape()).containsExactly(24, 3, 128, 224);
        try (Stream<Path> clips = Files.list(out.resolve("clips"))) {
            assertThat(clips.map(p -> p.getFileName().toString()).sorted()).containsExactly(lines.stream()
                    .map(l -> Path.of(l.path("video").asText()).getFileName().toString()).sorted().toArray(String[]::new));
        }
        String report = Files.readString(out.resolve("report.html"));
        assertThat(report).contains("9 input videos, 10 clips: <b>3 kept</b>, 5 rejected by the rules, 4 failed")
                .contains("<td>static</td><td class=\"n\">1</td>").contains("<svg").doesNotContain("<script").doesNotContain("src=");
        assertThat(console.toString()).contains("9 input videos").contains("static.mp4: [clip 0 rejected static]")
                .contains("empty.mp4: failed: video ").contains("feature pass: 10 clips (313 frames) in ");
        assertThat(m.get("fast.mp4#0").<Double>getAs("feature_seconds")).isPositive();

        // a rerun: the answers given come from the cache, the failed ones are asked again
        int red0 = server.count("red", "short"), yellowSummary = server.count("yellow", "summary"), blue0 = server.count("blue", "score");
        DataJob.Summary again = run(in, out, new ByteArrayOutputStream());
        assertThat(again).isEqualTo(s);
        assertThat(server.count("red", "short")).isEqualTo(red0);
        assertThat(server.count("yellow", "summary")).isEqualTo(yellowSummary);
        assertThat(server.count("blue", "score")).isEqualTo(blue0 + 3);
        assertThat(manifest(out).get("scenes.mp4#0").<String>getAs("caption")).isEqualTo(red.getAs("caption"));
    }
}
