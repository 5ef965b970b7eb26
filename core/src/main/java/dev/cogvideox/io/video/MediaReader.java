package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loads inputs for image-to-video and video-to-video as fp32 tensors in [0, 1] (see {@link RgbImage} for the
 * byte-to-float rule). Errors name the file.
 */
public final class MediaReader {
    private MediaReader() {
    }

    /**
     * An image file (PNG, JPEG, BMP, GIF's first frame: what ImageIO reads) as {@code [3, H, W]}, turned upright
     * by its EXIF orientation as diffusers' {@code load_image} does.
     */
    public static Tensor readImage(Path file) {
        RgbImage image = decodeImage(file);
        return RgbImage.stack(List.of(image), file.toString()).reshape(3, image.height(), image.width());
    }

    /** Every frame of a video; see {@link #readVideo(Path, int)}. */
    public static Tensor readVideo(Path source) {
        return readVideo(source, Integer.MAX_VALUE);
    }

    /**
     * The first {@code maxFrames} frames of a video as {@code [F, 3, H, W]}: a folder of PNG files (in file name
     * order), a GIF (through ImageIO, composited as a viewer shows it), or any other file through FFmpeg (MP4,
     * MOV, WebM, ...).
     */
    public static Tensor readVideo(Path source, int maxFrames) {
        if (maxFrames < 1) {
            throw new IllegalArgumentException("maxFrames must be >= 1, got " + maxFrames);
        }
        if (!Files.exists(source)) {
            throw new IllegalArgumentException("video " + source + ": no such file or folder");
        }
        List<RgbImage> frames;
        try {
            if (Files.isDirectory(source)) {
                frames = pngFolder(source, maxFrames);
            } else if (source.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gif")) {
                frames = GifFrames.read(source, maxFrames);
            } else {
                frames = ffmpeg(source, maxFrames);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("video " + source + ": cannot read: " + e.getMessage(), e);
        }
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("video " + source + ": has no frames");
        }
        return RgbImage.stack(frames, source.toString());
    }

    private static RgbImage decodeImage(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("image " + file + ": no such file");
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            if (image == null) {
                throw new IllegalArgumentException("image " + file + ": not a format ImageIO reads (PNG, JPEG, BMP, GIF)");
            }
            return ExifOrientation.upright(RgbImage.of(image), ExifOrientation.read(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException("image " + file + ": cannot decode: " + e.getMessage(), e);
        }
    }

    private static List<RgbImage> pngFolder(Path dir, int maxFrames) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"))
                    .sorted()
                    .limit(maxFrames)
                    .map(MediaReader::decodeImage)
                    .toList();
        }
    }

    private static List<RgbImage> ffmpeg(Path file, int maxFrames) throws IOException {
        Ffmpeg.load();
        List<RgbImage> frames = new ArrayList<>();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
            grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            grabber.start();
            Frame frame;
            while (frames.size() < maxFrames && (frame = grabber.grabImage()) != null) {
                frames.add(rgb(frame));
            }
            grabber.stop();
        }
        return frames;
    }

    private static RgbImage rgb(Frame frame) {
        int w = frame.imageWidth;
        int h = frame.imageHeight;
        byte[] px = new byte[w * h * 3];
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        for (int y = 0; y < h; y++) {
            buf.get(y * frame.imageStride, px, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, px);
    }
}
