package dev.cogvideox.io.video;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A video read through FFmpeg one frame at a time, for inputs too long to hold whole ({@link MediaReader#readVideo}
 * holds every frame): its frame rate and size, then its frames as RGB. Errors name the file and say what FFmpeg found.
 */
public final class VideoFrameReader implements AutoCloseable {
    private final Path file;
    private final FFmpegFrameGrabber grabber;
    private final double fps;

    private VideoFrameReader(Path file, FFmpegFrameGrabber grabber, double fps) {
        this.file = file;
        this.grabber = grabber;
        this.fps = fps;
    }

    /** Opens {@code file}; an empty, missing or undecodable file is an {@link IllegalArgumentException} naming it. */
    public static VideoFrameReader open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("video " + file + ": no such file");
        }
        try {
            if (Files.size(file) == 0) {
                throw new IllegalArgumentException("video " + file + ": is empty (0 bytes)");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("video " + file + ": cannot read it: " + e.getMessage(), e);
        }
        Ffmpeg.load();
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
        try {
            grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            grabber.start();
            if (!grabber.hasVideo()) {
                throw new IOException("it has no video stream");
            }
            double fps = grabber.getFrameRate();
            if (!(fps > 0) || !Double.isFinite(fps)) {
                throw new IOException("its frame rate is unknown (" + fps + ")");
            }
            return new VideoFrameReader(file, grabber, fps);
        } catch (IOException | RuntimeException e) {
            try {
                grabber.close();
            } catch (IOException | RuntimeException ignored) {
                // the error above is the one to report
            }
            throw new IllegalArgumentException("video " + file + ": cannot read it (not a video, or damaged): "
                    + (e.getClass().getName().startsWith("org.bytedeco.") ? Ffmpeg.describe(e) : e.getMessage()), e);
        }
    }

    /** Frames per second, as the container gives it. */
    public double fps() {
        return fps;
    }

    /** The next frame, or null after the last. */
    public RgbImage next() {
        try {
            Frame frame = grabber.grabImage();
            if (frame == null) {
                return null;
            }
            return MediaReader.rgb(frame);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("video " + file + ": cannot decode a frame (damaged?): "
                    + (e.getClass().getName().startsWith("org.bytedeco.") ? Ffmpeg.describe(e) : e.getMessage()), e);
        }
    }

    @Override
    public void close() {
        try {
            grabber.close();
        } catch (IOException | RuntimeException e) {
            // nothing was written: closing a reader cannot lose anything
        }
    }
}
