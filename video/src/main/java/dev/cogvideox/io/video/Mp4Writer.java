package dev.cogvideox.io.video;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameRecorder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * H.264 (FFmpeg's OpenH264 encoder) in MP4, yuv420p, constant frame rate, no audio, moov atom first
 * ({@code +faststart}) so players can start before the end is downloaded. Odd widths or heights are padded to
 * even by repeating the last column or row (yuv420p subsamples chroma 2x2), so the video is then one pixel
 * wider or taller than the frames.
 */
final class Mp4Writer extends AtomicVideoWriter {
    private final VideoOptions options;
    private final String encoder;
    private FFmpegFrameRecorder recorder;
    private Frame staging;

    Mp4Writer(Path target, VideoOptions options) throws IOException {
        super(target, TempOutput.file(target));
        this.options = options;
        this.encoder = Ffmpeg.h264Encoder();
    }

    @Override
    protected void begin(int width, int height) throws IOException {
        int w = width + (width & 1);
        int h = height + (height & 1);
        recorder = new FFmpegFrameRecorder(temp.path().toFile(), w, h, 0);
        recorder.setFormat("mp4");
        recorder.setVideoCodecName(encoder);
        recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
        recorder.setFrameRate(options.fps());
        recorder.setVideoBitrate((int) Math.min(Integer.MAX_VALUE, options.bitRate(w, h)));
        recorder.setOption("movflags", "+faststart");
        if (options.description() != null) {
            recorder.setMetadata("comment", options.description());
        }
        recorder.start();
        staging = new Frame(w, h, Frame.DEPTH_UBYTE, 3);
    }

    @Override
    protected void append(RgbImage frame, int index) throws IOException {
        RgbImage even = frame.padToEven();
        ByteBuffer buf = (ByteBuffer) staging.image[0];
        int row = even.width() * 3;
        for (int y = 0; y < even.height(); y++) {
            buf.put(y * staging.imageStride, even.pixels(), y * row, row);
        }
        recorder.record(staging, avutil.AV_PIX_FMT_RGB24);
    }

    @Override
    protected void end() throws FrameRecorder.Exception {
        recorder.stop();
        recorder.release();
        recorder = null;
        staging.close();
        staging = null;
    }

    @Override
    protected void abandon() {
        if (recorder != null) {
            try {
                recorder.release();
            } catch (FrameRecorder.Exception ignored) {
                // the file is deleted next
            }
        }
        if (staging != null) {
            staging.close();
        }
    }
}
