package dev.cogvideox.io.video;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.w3c.dom.Node;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The text a writer stored in a video ({@link VideoOptions#description}): the MP4 {@code comment} tag (iTunes-style
 * {@code ©cmt}), the first GIF comment extension, or the PNG {@code tEXt} chunk with keyword {@value #PNG_KEYWORD} (in
 * a single PNG or the first frame of a folder).
 */
public final class VideoMetadata {
    /** The PNG text chunk's keyword. */
    public static final String PNG_KEYWORD = "cogvideox";
    private static final String PNG_FORMAT = "javax_imageio_png_1.0";
    private static final String GIF_FORMAT = "javax_imageio_gif_image_1.0";

    private VideoMetadata() {
    }

    /** The stored text, or empty when the file holds none; errors name the file. */
    public static Optional<String> read(Path file) {
        try {
            if (Files.isDirectory(file)) {
                try (Stream<Path> s = Files.list(file)) {
                    Optional<Path> first = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")).sorted().findFirst();
                    return first.isEmpty() ? Optional.empty() : png(first.get());
                }
            }
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + ": no such file");
            }
            if (name.endsWith(".png")) {
                return png(file);
            }
            if (name.endsWith(".gif")) {
                return gif(file);
            }
            return mp4(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read its metadata: " + e.getMessage(), e);
        }
    }

    /** Writes {@code image} as a PNG with {@code text} in a {@code tEXt} chunk. */
    static void writePng(BufferedImage image, String text, Path file) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), null);
            IIOMetadataNode root = new IIOMetadataNode(PNG_FORMAT);
            IIOMetadataNode chunks = new IIOMetadataNode("tEXt");
            IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
            entry.setAttribute("keyword", PNG_KEYWORD);
            entry.setAttribute("value", text);
            chunks.appendChild(entry);
            root.appendChild(chunks);
            meta.mergeTree(PNG_FORMAT, root);
            writer.write(new IIOImage(image, null, meta));
        } finally {
            writer.dispose();
        }
    }

    private static Optional<String> png(Path file) throws IOException {
        Node root = firstImageMetadata(file, "png", PNG_FORMAT);
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals("tEXt")) {
                for (Node e = n.getFirstChild(); e != null; e = e.getNextSibling()) {
                    if (PNG_KEYWORD.equals(attr(e, "keyword"))) {
                        return Optional.ofNullable(attr(e, "value"));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> gif(Path file) throws IOException {
        Node root = firstImageMetadata(file, "gif", GIF_FORMAT);
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals("CommentExtensions") && n.getFirstChild() != null) {
                return Optional.ofNullable(attr(n.getFirstChild(), "value"));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> mp4(Path file) throws IOException {
        Ffmpeg.load();   // a clear error where the natives are missing
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
            grabber.start();
            String comment = grabber.getMetadata("comment");
            grabber.stop();
            return Optional.ofNullable(comment);
        } catch (FrameGrabber.Exception e) {
            throw new IOException("not a video FFmpeg can read (" + e.getMessage() + ")", e);
        }
    }

    private static Node firstImageMetadata(Path file, String format, String tree) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName(format).next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new IOException("cannot open");
            }
            reader.setInput(in, true, false);
            return reader.getImageMetadata(0).getAsTree(tree);
        } finally {
            reader.dispose();
        }
    }

    private static String attr(Node n, String name) {
        Node a = n.getAttributes() == null ? null : n.getAttributes().getNamedItem(name);
        return a == null ? null : a.getNodeValue();
    }
}
