package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Node;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VideoWritersTest {
    @TempDir
    Path dir;

    private Path write(String name, Tensor frames, double fps) {
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(dir.resolve(name) + (name.endsWith("/") ? "/" : "")),
                VideoOptions.fps(fps))) {
            int half = frames.dim(0) / 2;
            w.write(Frames.slice(frames, 0, half)); // two batches, as a VAE decoding frame batches would
            w.write(Frames.slice(frames, half, frames.dim(0)));
            assertThat(w.frameCount()).isEqualTo(frames.dim(0));
            return w.finish();
        }
    }

    @Test
    void mp4HasFrameCountSizeAndRateInItsBoxesAndDecodesCloseToTheInput() throws IOException {
        Tensor frames = Frames.gradients(9, 48, 64);
        Path mp4 = write("out.mp4", frames, 8);

        Mp4Boxes boxes = Mp4Boxes.parse(mp4);
        assertThat(boxes.frames()).isEqualTo(9);
        assertThat(boxes.width()).isEqualTo(64);
        assertThat(boxes.height()).isEqualTo(48);
        assertThat(boxes.fps()).isEqualTo(8.0);
        assertThat(boxes.moovBeforeMdat()).as("faststart").isTrue();

        Tensor decoded = MediaReader.readVideo(mp4);
        assertThat(decoded.shape()).containsExactly(9, 3, 48, 64);
        assertThat(Frames.meanAbsDiff(decoded, frames)).isLessThan(3 / 255.0);
        assertThat(MediaReader.readVideo(mp4, 4).dim(0)).isEqualTo(4);
    }

    @Test
    void mp4PadsOddSizesToEven() throws IOException {
        Path mp4 = write("odd.mp4", Frames.gradients(2, 21, 33), 16);
        Mp4Boxes boxes = Mp4Boxes.parse(mp4);
        assertThat(boxes.width()).isEqualTo(34);
        assertThat(boxes.height()).isEqualTo(22);
        assertThat(boxes.fps()).isEqualTo(16.0);
    }

    @Test
    void gifLoopsWithDelaysSummingToTheDurationAndReadsBack() throws IOException {
        Tensor frames = Frames.gradients(5, 24, 32);
        Path gif = write("out.gif", frames, 8);

        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        List<Integer> delays = new ArrayList<>();
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            reader.setInput(in);
            assertThat(reader.getNumImages(true)).isEqualTo(5);
            assertThat(reader.getWidth(0)).isEqualTo(32);
            assertThat(reader.getHeight(0)).isEqualTo(24);
            for (int i = 0; i < 5; i++) {
                Node meta = reader.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0");
                delays.add(Integer.parseInt(attribute(meta, "GraphicControlExtension", "delayTime")));
            }
            Node first = reader.getImageMetadata(0).getAsTree("javax_imageio_gif_image_1.0");
            assertThat(attribute(first, "ApplicationExtensions", null)).isNotNull();
        } finally {
            reader.dispose();
        }
        assertThat(delays).containsExactly(13, 12, 13, 12, 13); // 62.5 cs for 5 frames at 8 fps, rounded once

        Tensor decoded = MediaReader.readVideo(gif);
        assertThat(decoded.shape()).containsExactly(5, 3, 24, 32);
        assertThat(Frames.meanAbsDiff(decoded, frames)).isLessThan(4 / 255.0);
    }

    private static String attribute(Node root, String child, String name) {
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals(child)) {
                return name == null ? child : n.getAttributes().getNamedItem(name).getNodeValue();
            }
        }
        return null;
    }

    @Test
    void pngFramesRoundTripExactly() {
        Tensor frames = Frames.gradients(3, 20, 30);
        Path folder = write("frames/", frames, 8);
        assertThat(folder.resolve("frame_0000.png")).isRegularFile();
        assertThat(folder.resolve("frame_0002.png")).isRegularFile();
        assertThat(MediaReader.readVideo(folder).data()).containsExactly(frames.data());
        assertThat(MediaReader.readImage(folder.resolve("frame_0001.png")).data())
                .containsExactly(Frames.slice(frames, 1, 2).data());
    }

    @ParameterizedTest
    @ValueSource(strings = {"x.mp4", "x.gif", "x/"})
    void aWriterClosedAfterAnExceptionLeavesNothing(String name) throws IOException {
        VideoOutput out = VideoOutput.parse(dir.resolve(name) + (name.endsWith("/") ? "/" : ""));
        assertThatThrownBy(() -> {
            try (VideoWriter w = VideoWriters.open(out, VideoOptions.fps(8))) {
                w.write(Frames.gradients(2, 16, 16));
                throw new IllegalStateException("decoder failed");
            }
        }).hasMessage("decoder failed");
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void framesOfAnotherSizeAreRejected() {
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(dir.resolve("a.gif").toString()), VideoOptions.fps(8))) {
            w.write(Frames.gradients(1, 16, 16));
            assertThatThrownBy(() -> w.write(Frames.gradients(1, 16, 18)))
                    .hasMessageContaining("frame 1 is 18x16, the video is 16x16");
            assertThatThrownBy(w::finish).hasMessageContaining("a write failed");
        }
    }

    @Test
    void unwritableOutputsFailUpFront() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> VideoWriters.checkWritable(VideoOutput.parse(file.resolve("out.mp4").toString())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(file + " is not a folder");
        Files.createDirectory(dir.resolve("taken.gif"));
        assertThatThrownBy(() -> VideoWriters.checkWritable(new VideoOutput(dir.resolve("taken.gif"), VideoFormat.GIF)))
                .hasMessageContaining("is a folder, expected a gif file");
        assertThatThrownBy(() -> VideoWriters.checkWritable(VideoOutput.parse(dir.toString())))
                .hasMessageContaining("exists and is not an empty folder");
        VideoWriters.checkWritable(VideoOutput.parse(dir.resolve("new/deeper/out.mp4").toString()));
        assertThat(dir.resolve("new")).doesNotExist();
    }

    @Test
    void outputKindFollowsThePath() {
        assertThat(VideoOutput.parse("a/b.MP4").format()).isEqualTo(VideoFormat.MP4);
        assertThat(VideoOutput.parse("b.gif").format()).isEqualTo(VideoFormat.GIF);
        assertThat(VideoOutput.parse("frames/").format()).isEqualTo(VideoFormat.PNG_FRAMES);
        assertThat(VideoOutput.parse(dir.toString()).format()).isEqualTo(VideoFormat.PNG_FRAMES);
        assertThatThrownBy(() -> VideoOutput.parse("clip.avi")).hasMessageContaining("'clip.avi': unknown kind");
    }
}
