package dev.cogvideox.io.video;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Where a video goes and in which format. */
public record VideoOutput(Path path, VideoFormat format) {
    /**
     * The output named by a user's path: {@code *.mp4} is MP4, {@code *.gif} is GIF, a path ending in {@code /}
     * or naming an existing directory is a folder of PNG frames (extensions are case-insensitive).
     *
     * @throws IllegalArgumentException for any other extension
     */
    public static VideoOutput parse(String spec) {
        Path path = Path.of(spec);
        if (spec.endsWith("/") || spec.endsWith(File.separator) || Files.isDirectory(path)) {
            return new VideoOutput(path, VideoFormat.PNG_FRAMES);
        }
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".mp4")) {
            return new VideoOutput(path, VideoFormat.MP4);
        }
        if (name.endsWith(".gif")) {
            return new VideoOutput(path, VideoFormat.GIF);
        }
        throw new IllegalArgumentException("video output '" + spec + "': unknown kind; use a .mp4 or .gif file,"
                + " or a folder ending in '/' for PNG frames");
    }
}
