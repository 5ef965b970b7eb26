package dev.cogvideox.io.video;

import org.w3c.dom.Node;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames of an animated GIF as the viewer sees them: each GIF image is drawn at its offset on a canvas of
 * the logical screen size, then disposed of as its graphic control extension says (keep, clear to transparent,
 * or restore the previous canvas). Transparent canvas pixels read as black.
 */
final class GifFrames {
    private static final String IMAGE_FORMAT = "javax_imageio_gif_image_1.0";
    private static final String STREAM_FORMAT = "javax_imageio_gif_stream_1.0";

    private GifFrames() {
    }

    static List<RgbImage> read(Path file, int maxFrames) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new IOException("cannot open");
            }
            reader.setInput(in, false, false);
            int count = Math.min(reader.getNumImages(true), maxFrames);
            BufferedImage canvas = newCanvas(reader);
            Graphics2D g = canvas.createGraphics();
            List<RgbImage> frames = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                BufferedImage image = reader.read(i);
                Node meta = reader.getImageMetadata(i).getAsTree(IMAGE_FORMAT);
                int x = intAttr(child(meta, "ImageDescriptor"), "imageLeftPosition");
                int y = intAttr(child(meta, "ImageDescriptor"), "imageTopPosition");
                Node gce = child(meta, "GraphicControlExtension");
                String disposal = gce == null ? "none" : attr(gce, "disposalMethod");
                BufferedImage previous = "restoreToPrevious".equals(disposal) ? copy(canvas) : null;
                g.setComposite(AlphaComposite.SrcOver);
                g.drawImage(image, x, y, null);
                frames.add(RgbImage.of(canvas));
                if ("restoreToBackgroundColor".equals(disposal)) {
                    g.setComposite(AlphaComposite.Clear);
                    g.fillRect(x, y, image.getWidth(), image.getHeight());
                } else if (previous != null) {
                    g.setComposite(AlphaComposite.Src);
                    g.drawImage(previous, 0, 0, null);
                }
            }
            g.dispose();
            return frames;
        } finally {
            reader.dispose();
        }
    }

    private static BufferedImage newCanvas(ImageReader reader) throws IOException {
        IIOMetadata stream = reader.getStreamMetadata();
        Node screen = stream == null ? null : child(stream.getAsTree(STREAM_FORMAT), "LogicalScreenDescriptor");
        int w = screen == null ? reader.getWidth(0) : intAttr(screen, "logicalScreenWidth");
        int h = screen == null ? reader.getHeight(0) : intAttr(screen, "logicalScreenHeight");
        if (w < 1 || h < 1 || (long) w * h > MediaReader.MAX_PIXELS) {
            throw new IOException("a GIF screen of " + w + "x" + h + " pixels (at most " + MediaReader.MAX_PIXELS + " are read)");
        }
        return new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
    }

    private static BufferedImage copy(BufferedImage image) {
        BufferedImage c = new BufferedImage(image.getWidth(), image.getHeight(), image.getType());
        c.setData(image.getData());
        return c;
    }

    private static Node child(Node parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals(name)) {
                return n;
            }
        }
        return null;
    }

    private static String attr(Node node, String name) {
        return node.getAttributes().getNamedItem(name).getNodeValue();
    }

    private static int intAttr(Node node, String name) {
        return Integer.parseInt(attr(node, name));
    }
}
