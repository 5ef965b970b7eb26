package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FrameRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** FFmpeg's failures as plain sentences naming the file, and its own log lines silenced. */
class FfmpegMessagesTest {
    @TempDir
    Path tmp;

    @Test
    void theWrappersErrorBecomesWhatFfmpegWasDoingAndWhy() {
        Ffmpeg.load();
        FrameRecorder.Exception e = new FrameRecorder.Exception("avcodec_send_frame() error -1313558101: Could not send frame. "
                + "(For more details, make sure FFmpegLogCallback.set() has been called.)");
        assertThat(Ffmpeg.describe(e)).isEqualTo("FFmpeg could not encode a frame: Unknown error occurred");
        assertThat(Ffmpeg.describe(new IOException("avformat_open_input() error -1094995529: Could not open input \"x\"")))
                .isEqualTo("FFmpeg could not open the file: Invalid data found when processing input");
        assertThat(Ffmpeg.describe(new IOException("something else (For more details, make sure FFmpegLogCallback.set() has been called.)")))
                .isEqualTo("FFmpeg: something else");
    }

    @Test
    void aTruncatedMp4IsNamedWithoutInternalsAndFfmpegLogsNothing() throws IOException {
        Path mp4 = tmp.resolve("clip.mp4");
        try (VideoWriter w = VideoWriters.open(VideoOutput.parse(mp4.toString()), VideoOptions.fps(8))) {
            float[] px = new float[2 * 3 * 16 * 16];
            Arrays.fill(px, 0.5f);
            w.write(Tensor.of(px, 2, 3, 16, 16));
            w.finish();
        }
        byte[] bytes = Files.readAllBytes(mp4);
        Path cut = Files.write(tmp.resolve("cut.mp4"), Arrays.copyOf(bytes, 40));               // "moov atom not found"
        assertThatThrownBy(() -> MediaReader.readVideo(cut, 9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("video " + cut + ": cannot read it (not a video, or damaged): FFmpeg ")
                .hasMessageNotContaining("videoStream ==")
                .hasMessageNotContaining("FFmpegLogCallback").hasMessageNotContaining("error -");
        assertThat(avutil.av_log_get_level()).as("FFmpeg's own log lines are off").isEqualTo(avutil.AV_LOG_QUIET);
    }
}
