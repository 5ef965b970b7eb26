package dev.cogvideox.io.video;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An animated GIF through the JDK's writer: looping forever (NETSCAPE2.0 extension), one local palette per
 * frame (the JDK's octree quantizer, no dithering), every frame replacing the previous one.
 *
 * <p>GIF delays are whole centiseconds. Frame {@code i} waits {@code round(100 (i+1) / fps) - round(100 i / fps)}
 * so the total duration stays exact: at 8 fps the delays alternate 13 and 12 cs (an average of 12.5).
 */
final class GifWriter extends AtomicVideoWriter {
    private static final String FORMAT = "javax_imageio_gif_image_1.0";
    private final double fps;
    private final String description;
    private ImageWriter writer;
    private ImageOutputStream stream;

    GifWriter(Path target, VideoOptions options) throws IOException {
        super(target, TempOutput.file(target));
        this.fps = options.fps();
        this.description = options.description();
    }

    /** Centiseconds frame {@code index} is shown at {@code fps} (see the class comment). */
    static int delayCentis(int index, double fps) {
        return (int) (Math.round(100 * (index + 1) / fps) - Math.round(100 * index / fps));
    }

    @Override
    protected void begin(int width, int height) throws IOException {
        writer = ImageIO.getImageWritersByFormatName("gif").next();
        stream = ImageIO.createImageOutputStream(temp.path().toFile());
        writer.setOutput(stream);
        writer.prepareWriteSequence(null);
    }

    @Override
    protected void append(RgbImage frame, int index) throws IOException {
        var image = frame.toBufferedImage();
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), null);
        meta.mergeTree(FORMAT, frameTree(delayCentis(index, fps), index == 0, index == 0 ? description : null));
        writer.writeToSequence(new IIOImage(image, null, meta), null);
    }

    private static IIOMetadataNode frameTree(int delay, boolean first, String comment) {
        IIOMetadataNode root = new IIOMetadataNode(FORMAT);
        IIOMetadataNode gce = new IIOMetadataNode("GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(delay));
        gce.setAttribute("transparentColorIndex", "0");
        root.appendChild(gce);
        if (first) {
            IIOMetadataNode apps = new IIOMetadataNode("ApplicationExtensions");
            IIOMetadataNode loop = new IIOMetadataNode("ApplicationExtension");
            loop.setAttribute("applicationID", "NETSCAPE");
            loop.setAttribute("authenticationCode", "2.0");
            loop.setUserObject(new byte[]{1, 0, 0}); // sub-block 1: loop count 0 = forever
            apps.appendChild(loop);
            root.appendChild(apps);
        }
        if (comment != null) {
            IIOMetadataNode comments = new IIOMetadataNode("CommentExtensions");
            IIOMetadataNode c = new IIOMetadataNode("CommentExtension");
            c.setAttribute("value", comment);
            comments.appendChild(c);
            root.appendChild(comments);
        }
        return root;
    }

    @Override
    protected void end() throws IOException {
        writer.endWriteSequence();
        stream.close();
        writer.dispose();
        writer = null;
    }

    @Override
    protected void abandon() {
        if (writer != null) {
            writer.dispose();
        }
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException ignored) {
                // the file is deleted next
            }
        }
    }
}
