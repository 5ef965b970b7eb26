package dev.cogvideox.io.video;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Path;

/** A folder of {@code frame_0000.png}, {@code frame_0001.png}, ... (8-bit RGB, lossless). */
final class PngFramesWriter extends AtomicVideoWriter {
    private final String description;

    PngFramesWriter(Path target, VideoOptions options) throws IOException {
        super(target, TempOutput.folder(target));
        this.description = options.description();
    }

    /** The file name of frame {@code index}. */
    static String frameName(int index) {
        return String.format("frame_%04d.png", index);
    }

    @Override
    protected void begin(int width, int height) {
        // each frame is its own file
    }

    @Override
    protected void append(RgbImage frame, int index) throws IOException {
        Path file = temp.path().resolve(frameName(index));
        if (description == null) {
            if (!ImageIO.write(frame.toBufferedImage(), "png", file.toFile())) {
                throw new IOException("the JDK has no PNG writer");
            }
            return;
        }
        VideoMetadata.writePng(frame.toBufferedImage(), description, file);   // every frame carries it: each is a picture of its own
    }

    @Override
    protected void end() {
        // every frame is complete on disk
    }

    @Override
    protected void abandon() {
        // nothing open between frames
    }
}
