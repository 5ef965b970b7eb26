package dev.cogvideox.train.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetIndexTest {
    @TempDir
    Path tmp;

    @Test
    void readsJsonlWithPathsRelativeToTheFileAndReportsBadLines() throws IOException {
        Path file = tmp.resolve("meta.jsonl");
        Files.write(file, List.of("{\"video\": \"a.mp4\", \"caption\": \"a cat\"}", "", "{\"video\": \"b.mp4\"}", "not json",
                "{\"video\": \"sub/c.gif\", \"caption\": \"a dog\"}"));
        DatasetIndex index = DatasetIndex.read(tmp);
        assertThat(index.samples()).extracting(DataSample::video).containsExactly(tmp.resolve("a.mp4"), tmp.resolve("sub/c.gif"));
        assertThat(index.samples()).extracting(DataSample::caption).containsExactly("a cat", "a dog");
        assertThat(index.problems()).hasSize(2);
        assertThat(index.problems().get(0)).startsWith("meta.jsonl line 3:").contains("\"caption\"");
        assertThat(index.problems().get(1)).startsWith("meta.jsonl line 4: not JSON");
    }

    /**
     * The dataset folder of each way to name one: the folder, its JSONL, one of its selections; its precomputed cache
     * and its selections are found from any of them.
     */
    @Test
    void aDatasetsFolderSelectionsAndCacheAreFoundFromAnyWayToNameIt() throws IOException {
        Path out = tmp.resolve("out").toAbsolutePath().normalize();
        Files.createDirectories(out.resolve("selections"));
        Files.writeString(out.resolve("clips.jsonl"), "");
        Files.writeString(out.resolve("selections/high.jsonl"), "");
        assertThat(DatasetIndex.root(out)).isEqualTo(out);
        assertThat(DatasetIndex.root(out.resolve("clips.jsonl"))).isEqualTo(out);
        assertThat(DatasetIndex.root(out.resolve("selections/high.jsonl"))).isEqualTo(out);
        assertThat(LatentCache.inDataset(out.resolve("selections/high.jsonl"))).isEqualTo(out.resolve("latent-cache"));
        assertThat(DatasetIndex.selection(out.resolve("clips.jsonl"), "high", "--stages x")).isEqualTo(out.resolve("selections/high.jsonl"));
        Path meta = tmp.resolve("flat/meta.jsonl");                           // a JSONL outside any selections folder
        assertThat(DatasetIndex.root(meta)).isEqualTo(tmp.resolve("flat").toAbsolutePath().normalize());
        assertThatThrownBy(() -> DatasetIndex.selection(meta, "high", "--stages 32x32x5:2@high"))
                .hasMessageStartingWith("--stages 32x32x5:2@high: no selection 'high': ").hasMessageContaining("(the dataset has no selections)");
    }

    @Test
    void pairsVideosAndPromptsByNonBlankLine() throws IOException {
        Files.write(tmp.resolve("videos.txt"), List.of("v/1.mp4", "", "v/2.mp4"));
        Files.write(tmp.resolve("prompts.txt"), List.of("one", "two", "three"));
        DatasetIndex index = DatasetIndex.read(tmp);
        assertThat(index.samples()).extracting(DataSample::caption).containsExactly("one", "two");
        assertThat(index.problems()).singleElement().asString().contains("1 more captions");
        Files.delete(tmp.resolve("prompts.txt"));
        assertThatThrownBy(() -> DatasetIndex.read(tmp)).hasMessageContaining("no prompts.txt");
    }

    @Test
    void clipShapesTakeTheLargest4kPlus1Frames() {
        ClipShape shape = new ClipShape(64, 48, 49);
        assertThat(shape.framesFor(1)).isEqualTo(1);
        assertThat(shape.framesFor(8)).isEqualTo(5);
        assertThat(shape.framesFor(13)).isEqualTo(13);
        assertThat(shape.framesFor(300)).isEqualTo(49);
    }

    @Test
    void invalidUtf8InACaptionFileNamesTheFileAndTheLine() throws IOException {
        Files.write(tmp.resolve("videos.txt"), List.of("v/1.mp4", "v/2.mp4"));
        Files.write(tmp.resolve("prompts.txt"), "a cat\na caf\u00e9 at night\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> DatasetIndex.read(tmp)).hasMessage(tmp.resolve("prompts.txt") + ": line 2 (byte 11) is not valid UTF-8 text; "
                + "save the file as UTF-8");
    }
}
