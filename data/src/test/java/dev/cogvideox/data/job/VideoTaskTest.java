package dev.cogvideox.data.job;

import dev.cogvideox.data.SyntheticVideos;
import dev.cogvideox.data.rules.Rules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.cogvideox.data.SyntheticVideos.RED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One input's task without Spark: the rules the Spark test's set does not exercise (a screen capture, an out-of-focus
 * clip, a dark one, a short one, a long take split at the longest clip), and a kept clip's file published whole while a
 * rejected one leaves none.
 */
class VideoTaskTest {
    @TempDir
    Path tmp;

    private List<ClipRow> run(String name, List<dev.cogvideox.io.video.RgbImage> frames) throws IOException {
        Path file = SyntheticVideos.write(tmp.resolve("in").resolve(name), frames);
        return new VideoTask(new ClipSettings(tmp.resolve("out").toString(), Rules.defaults(), null, 2), "test").run(file.toString());
    }

    @Test
    void screenBlurDarknessAndLengthEachMeetTheirRule() throws IOException {
        assertThat(run("screen.mp4", SyntheticVideos.screen(2)).getFirst().tags()).contains("screen_recording").doesNotContain("text_dominated");
        ClipRow blurred = run("blurred.mp4", SyntheticVideos.blurred(SyntheticVideos.pan(RED, 0.2, 1.5, 1), 3)).getFirst();
        assertThat(blurred.tags()).containsExactly("blurry");
        ClipRow dark = run("dark.mp4", SyntheticVideos.scaled(SyntheticVideos.pan(RED, 0.2, 1.5, 1), 0.15)).getFirst();
        assertThat(dark.tags()).contains("bad_exposure");                       // (and blurry: the Laplacian falls with the contrast)
        assertThat(dark.reasons()).anySatisfy(r -> assertThat(r).startsWith("bad_exposure: brightness 0.0").endsWith("< 0.06 (too dark)"));
        ClipRow brief = run("brief.mp4", SyntheticVideos.pan(RED, 0.2, 0.5, 1)).getFirst();
        assertThat(brief.tags()).containsExactly("too_short");
        assertThat(brief.features().frames()).isEqualTo(8);
    }

    @Test
    void aLongTakeIsSplitAtTheLongestClipAndOnlyKeptClipsHaveFiles() throws IOException {
        Path rules = tmp.resolve("rules.json");
        Files.writeString(rules, "{\"split\": {\"max_seconds\": 1.0}}");
        Path file = SyntheticVideos.write(tmp.resolve("in/long.mp4"), SyntheticVideos.concat(SyntheticVideos.pan(RED, 0.2, 2.5, 1),
                SyntheticVideos.still(SyntheticVideos.GREEN, 1, 2)));
        List<ClipRow> rows = new VideoTask(new ClipSettings(tmp.resolve("out").toString(), Rules.read(rules), null, 2), "test").run(file.toString());
        assertThat(rows).extracting(r -> r.features().frames()).containsExactly(16, 16, 8, 16);
        assertThat(rows).extracting(ClipRow::startSeconds).containsExactly(0.0, 1.0, 2.0, 2.5);
        assertThat(rows).extracting(ClipRow::status).containsExactly("kept", "kept", "rejected", "rejected");
        assertThat(rows.get(2).tags()).containsExactly("too_short");
        assertThat(rows.get(3).tags()).containsExactly("static");
        try (var files = Files.list(tmp.resolve("out/clips"))) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted()).containsExactly(rows.get(0).clip().substring(6), rows.get(1).clip().substring(6));
        }
        assertThat(rows.get(0).clip()).matches("clips/long-[0-9a-f]{8}-000\\.mp4");
    }
}
