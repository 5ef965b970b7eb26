package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** How a video was made, stored in the file by every writer and read back. */
class VideoMetadataTest {
    private static final String TEXT = "{\"cogvideox\":1,\"prompt\":\"a caf\\u00e9 at dawn\",\"seed\":42}";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"out.mp4", "out.gif", "frames/"})
    void theDescriptionIsStoredAndReadBack(String name) throws IOException {
        Path target = dir.resolve(name);
        Tensor frames = Frames.gradients(3, 32, 48);
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(target + (name.endsWith("/") ? "/" : "")),
                VideoOptions.fps(8).withDescription(TEXT))) {
            w.write(frames);
            w.finish();
        }
        assertThat(VideoMetadata.read(target)).contains(TEXT);
        if (name.endsWith(".mp4")) {
            // independent of FFmpeg's reader: the iTunes-style comment atom and the text are in the file
            String bytes = new String(Files.readAllBytes(target), StandardCharsets.ISO_8859_1);
            assertThat(bytes).contains("\u00a9cmt").contains(TEXT);
        }
        if (name.endsWith("/")) {
            // a PNG tEXt chunk: length, "tEXt", keyword, NUL, text
            String png = new String(Files.readAllBytes(target.resolve("frame_0002.png")), StandardCharsets.ISO_8859_1);
            assertThat(png).contains("tEXt" + VideoMetadata.PNG_KEYWORD + "\0" + TEXT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain.mp4", "plain.gif", "plain/"})
    void aFileWithoutOneHasNone(String name) {
        Path target = dir.resolve(name);
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(target + (name.endsWith("/") ? "/" : "")), VideoOptions.fps(8))) {
            w.write(Frames.gradients(2, 16, 16));
            w.finish();
        }
        assertThat(VideoMetadata.read(target)).isEmpty();
    }
}
