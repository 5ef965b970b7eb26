package dev.cogvideox.world.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.data.ClipFrames;
import dev.cogvideox.train.data.ClipShape;
import dev.cogvideox.train.data.DataSample;
import dev.cogvideox.train.data.DatasetIndex;
import dev.cogvideox.world.Combination;
import dev.cogvideox.world.CombinationPattern;
import dev.cogvideox.world.HeldOut;
import dev.cogvideox.world.prompt.PromptParser;
import dev.cogvideox.world.render.ClipRenderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetWriterTest {
    @TempDir
    Path tmp;

    private static DatasetSettings settings(int clips, long seed, boolean heldOut) {
        return new DatasetSettings(clips, seed, 96, 96, List.of(9, 17), 8, heldOut);
    }

    @Test
    void theTrainerReadsTheDatasetAsRendered() throws IOException {
        DatasetSettings s = settings(12, 7, false);
        Path out = DatasetWriter.write(tmp.resolve("data"), s, ProgressListener.NONE, new CancellationToken());
        DatasetIndex index = DatasetIndex.read(out);
        assertThat(index.problems()).isEmpty();
        assertThat(index.samples()).hasSize(12);
        List<String> labels = Files.readAllLines(out.resolve("clips.jsonl"));
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < 12; i++) {
            DataSample sample = index.samples().get(i);
            DatasetWriter.Clip clip = DatasetWriter.clip(s, i);
            JsonNode label = json.readTree(labels.get(i));
            Combination c = clip.spec().combination();
            assertThat(sample.caption()).isEqualTo(clip.caption());
            assertThat(PromptParser.parse(sample.caption())).isEqualTo(c);
            assertThat(label.get("prompt").asText()).isEqualTo(c.prompt());
            assertThat(label.get("frames").asInt()).isEqualTo(clip.spec().frames());
            // the trainer's pixels at the dataset's size are the rendered ones, exactly (GIF keeps the 17 colours of a frame)
            Tensor got = ClipFrames.read(sample, new ClipShape(96, 96, 17));                 // [1, 3, F, H, W] in [-1, 1]
            int frames = clip.spec().frames();
            assertThat(got.shape()).containsExactly(1, 3, frames, 96, 96);
            float[] want = ClipRenderer.tensor(clip.spec()).data();                          // [F, 3, H, W] in [0, 1]
            int plane = 96 * 96;
            for (int f = 0; f < frames; f += 4) {
                for (int ch = 0; ch < 3; ch++) {
                    for (int p = 0; p < plane; p += 7) {
                        assertThat(got.data()[(ch * frames + f) * plane + p]).isEqualTo(want[(f * 3 + ch) * plane + p] * 2f - 1f);
                    }
                }
            }
            // a lower-resolution, shorter stage of progressive training reads it too
            assertThat(ClipFrames.read(sample, new ClipShape(48, 48, 9)).shape()).containsExactly(1, 3, 9, 48, 48);
        }
        assertThat(json.readTree(out.resolve("world.json").toFile()).get("frames").toString()).isEqualTo("[9,17]");
    }

    @Test
    void noSeedEverDrawsAHeldOutCombinationAndEachRoundCoversTheSeenOnesOnce() {
        int pool = HeldOut.seen().size();
        Set<Integer> frameCounts = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            DatasetSettings s = settings(3 * pool, seed, false);
            for (int round = 0; round < 3; round++) {
                Set<Combination> drawn = new HashSet<>();
                for (int i = round * pool; i < (round + 1) * pool; i++) {
                    DatasetWriter.Clip clip = DatasetWriter.clip(s, i);
                    assertThat(HeldOut.contains(clip.spec().combination())).as("seed %d clip %d", seed, i).isFalse();
                    drawn.add(clip.spec().combination());
                    frameCounts.add(clip.spec().frames());
                }
                assertThat(drawn).hasSize(pool);
            }
        }
        assertThat(frameCounts).containsExactlyInAnyOrder(9, 17);
        DatasetSettings held = settings(100, 1, true);
        for (int i = 0; i < 100; i++) {
            assertThat(HeldOut.contains(DatasetWriter.clip(held, i).spec().combination())).isTrue();
        }
    }

    @Test
    void theSameSeedGivesTheSameDatasetAndAnotherSeedAnotherOne() throws IOException {
        Path a = DatasetWriter.write(tmp.resolve("a"), settings(5, 3, false), ProgressListener.NONE, new CancellationToken());
        Path b = DatasetWriter.write(tmp.resolve("b"), settings(5, 3, false), ProgressListener.NONE, new CancellationToken());
        Path c = DatasetWriter.write(tmp.resolve("c"), settings(5, 4, false), ProgressListener.NONE, new CancellationToken());
        for (String f : List.of("videos.txt", "prompts.txt", "clips.jsonl", "videos/000004.gif")) {
            assertThat(Files.readAllBytes(b.resolve(f))).as(f).isEqualTo(Files.readAllBytes(a.resolve(f)));
        }
        assertThat(Files.readString(c.resolve("clips.jsonl"))).isNotEqualTo(Files.readString(a.resolve("clips.jsonl")));
        // clip i does not depend on how many clips are written
        assertThat(DatasetWriter.clip(settings(1000, 3, false), 4)).isEqualTo(DatasetWriter.clip(settings(5, 3, false), 4));
    }

    @Test
    void onlyKeepsTheMatchingSeenCombinationsAndCanonicalCaptionsAreThePrompts() {
        // white circle on black: its four directions are all seen
        DatasetSettings s = new DatasetSettings(40, 2, 96, 96, List.of(17), 8, false,
                CombinationPattern.parse("white circle * black", "--only"), true);
        assertThat(s.combinations()).extracting(Combination::words).containsExactly(
                "white circle left black", "white circle right black", "white circle up black", "white circle down black");
        Set<Combination> drawn = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            DatasetWriter.Clip clip = DatasetWriter.clip(s, i);
            drawn.add(clip.spec().combination());
            assertThat(clip.caption()).isEqualTo(clip.spec().combination().prompt());
        }
        assertThat(drawn).hasSize(4);
        // a pattern that matches only held-out combinations renders nothing for training: refused, with the reason
        assertThatThrownBy(() -> new DatasetSettings(4, 0, 96, 96, List.of(17), 8, false,
                CombinationPattern.parse("white square left black", "--only"), false))
                .hasMessageContaining("matches none of the seen").hasMessageContaining("held-out combination is never rendered");
        // without --canonical-captions some captions are reworded
        DatasetSettings reworded = new DatasetSettings(40, 2, 96, 96, List.of(17), 8, false, CombinationPattern.parse("white circle * black", "--only"), false);
        long changed = java.util.stream.IntStream.range(0, 40).mapToObj(i -> DatasetWriter.clip(reworded, i))
                .filter(c -> !c.caption().equals(c.spec().combination().prompt())).count();
        assertThat(changed).isBetween(5L, 35L);
    }

    @Test
    void aFolderInTheWayIsRefusedAndBadSettingsAreNamed() throws IOException {
        Files.createDirectories(tmp.resolve("full"));
        Files.writeString(tmp.resolve("full/x"), "x");
        assertThatThrownBy(() -> DatasetWriter.write(tmp.resolve("full"), settings(1, 0, false), ProgressListener.NONE, new CancellationToken()))
                .hasMessageContaining("not an empty folder");
        assertThatThrownBy(() -> new DatasetSettings(1, 0, 96, 96, List.of(16), 8, false)).hasMessageContaining("--frames 16");
        assertThatThrownBy(() -> new DatasetSettings(1, 0, 100, 96, List.of(17), 8, false)).hasMessageContaining("multiples of 16");
        CancellationToken cancel = new CancellationToken();
        cancel.cancel();
        assertThatThrownBy(() -> DatasetWriter.write(tmp.resolve("cancelled"), settings(3, 0, false), ProgressListener.NONE, cancel));
        assertThat(tmp.resolve("cancelled")).doesNotExist();
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("full");
        }
    }
}
