package dev.cogvideox.io.video;

import dev.cogvideox.tensor.Tensor;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loads inputs for image-to-video and video-to-video as fp32 tensors in [0, 1] (see {@link RgbImage} for the
 * byte-to-float rule). Errors name the file.
 */
public final class MediaReader {
    /** Largest image read: 64 megapixels (an 8K frame has 33). */
    static final long MAX_PIXELS = 64L << 20;

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
                frames = gif(source, maxFrames);
            } else {
                frames = ffmpeg(source, maxFrames);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("video " + source + ": cannot read it (not a video, or damaged): "
                    + (e.getClass().getName().startsWith("org.bytedeco.") ? Ffmpeg.describe(e) : e.getMessage()), e);
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
            BufferedImage image = read(file, bytes);
            return ExifOrientation.upright(RgbImage.of(image), ExifOrientation.read(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException("image " + file + ": cannot decode (damaged?): " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith("image " + file) ? e
                    : new IllegalArgumentException("image " + file + ": cannot decode (damaged?): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // ImageIO's decoders throw what they happen to throw on a damaged file (index errors, negative sizes)
            throw new IllegalArgumentException("image " + file + ": cannot decode (damaged or unsupported): " + e.getClass().getSimpleName(), e);
        }
    }

    /** The decoded image, after its size read from the header is checked against {@link #MAX_PIXELS}. */
    private static BufferedImage read(Path file, byte[] bytes) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? java.util.Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IllegalArgumentException("image " + file + ": not a format ImageIO reads (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w < 1 || h < 1 || w * h > MAX_PIXELS) {
                    throw new IllegalArgumentException("image " + file + ": " + w + "x" + h + " pixels, at most " + MAX_PIXELS
                            + " are read (the model works at 720x480 to 1360x768)");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        }
    }

    private static List<RgbImage> gif(Path file, int maxFrames) throws IOException {
        try {
            return GifFrames.read(file, maxFrames);
        } catch (RuntimeException e) {
            // as for images: ImageIO's GIF decoder throws index errors and the like on a damaged file
            throw new IOException("damaged GIF (" + e.getClass().getSimpleName() + ")", e);
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

    /** A decoded frame's RGB24 pixels, copied out of FFmpeg's buffer (row by row: its rows may be padded). */
    static RgbImage rgb(Frame frame) throws IOException {
        int w = frame.imageWidth;
        int h = frame.imageHeight;
        if (w < 1 || h < 1 || (long) w * h > MAX_PIXELS) {
            throw new IOException("a frame of " + w + "x" + h + " pixels (at most " + MAX_PIXELS + " are read)");
        }
        byte[] px = new byte[w * h * 3];
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        for (int y = 0; y < h; y++) {
            buf.get(y * frame.imageStride, px, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, px);
    }
}
