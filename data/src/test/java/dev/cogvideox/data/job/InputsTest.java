package dev.cogvideox.data.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a run takes as its inputs: a folder's videos (not the run's own output), a list file's paths; what it refuses. */
class InputsTest {
    @TempDir
    Path tmp;

    private Path touch(String name) throws IOException {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[]{1});
        return p;
    }

    @Test
    void aFolderGivesItsVideosInPathOrderButNotTheOutputs() throws IOException {
        touch("raw/b.mp4");
        touch("raw/a/c.MOV");
        touch("raw/notes.txt");
        touch("raw/.hidden.mp4");
        touch("raw/out/clips/x.mp4");
        assertThat(Inputs.list(tmp.resolve("raw"), tmp.resolve("raw/out"))).containsExactly(tmp.resolve("raw/a/c.MOV").toString(),
                tmp.resolve("raw/b.mp4").toString());
    }

    @Test
    void aListFileGivesItsPathsRelativeToItsFolderOnceEach() throws IOException {
        Path list = tmp.resolve("lists/inputs.txt");
        Files.createDirectories(list.getParent());
        Files.write(list, List.of("# raw footage", "", "../raw/b.mp4", "  /abs/missing.mkv  ", "../raw/b.mp4"));
        assertThat(Inputs.list(list, tmp.resolve("out"))).containsExactly(tmp.resolve("raw/b.mp4").toString(), "/abs/missing.mkv");
    }

    @Test
    void whatIsNotAnInputIsRefusedNamingIt() throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Inputs.list(tmp.resolve("empty"), tmp.resolve("out"))).hasMessageStartingWith("--input " + tmp.resolve("empty")
                + ": a folder without video files");
        Path video = touch("one.mp4");
        assertThatThrownBy(() -> Inputs.list(video, tmp.resolve("out"))).hasMessage("--input " + video + ": is a video; give its folder, or a list file naming it");
        Path blank = tmp.resolve("blank.txt");
        Files.writeString(blank, "# nothing\n");
        assertThatThrownBy(() -> Inputs.list(blank, tmp.resolve("out"))).hasMessageContaining("lists no video");
        assertThatThrownBy(() -> Inputs.list(tmp.resolve("nope"), tmp.resolve("out"))).hasMessageContaining("no such folder or file");
    }
}
