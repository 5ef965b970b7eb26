package dev.cogvideox.io.video;

import dev.cogvideox.io.Folders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Opens the writer for an output, and checks before any work that the output can be written. */
public final class VideoWriters {
    private VideoWriters() {
    }

    /**
     * A streaming writer for {@code output} (see {@link VideoWriter} for the atomic publish). Checks the output
     * first, as {@link #checkWritable} does.
     */
    public static VideoWriter open(VideoOutput output, VideoOptions options) {
        checkWritable(output);
        try {
            return switch (output.format()) {
                case MP4 -> new Mp4Writer(output.path(), options);
                case GIF -> new GifWriter(output.path(), options);
                case PNG_FRAMES -> new PngFramesWriter(output.path(), options);
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write video " + output.path() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails now, with a message naming the path, if {@code output} could not be written later: a file output
     * that is an existing folder, a PNG folder that exists and is not empty (never overwritten), a first existing
     * ancestor folder where no file can be created, or, for MP4, FFmpeg or its H.264 encoder missing. Creates
     * nothing (a probe file is created and deleted).
     *
     * @throws IllegalArgumentException if the path is unusable
     * @throws IllegalStateException    if the MP4 encoder is unavailable
     */
    public static void checkWritable(VideoOutput output) {
        Path target = output.path().toAbsolutePath();
        if (output.format() == VideoFormat.PNG_FRAMES) {
            if (Files.exists(target) && !Folders.isEmptyDirectory(target)) {
                throw new IllegalArgumentException("video output " + target + ": exists and is not an empty folder;"
                        + " PNG frames go to a new or empty folder");
            }
        } else if (Files.isDirectory(target)) {
            throw new IllegalArgumentException("video output " + target + ": is a folder, expected a "
                    + output.format().name().toLowerCase(Locale.ROOT) + " file");
        }
        probe(target, existingAncestor(target));
        if (output.format() == VideoFormat.MP4) {
            Ffmpeg.h264Encoder();
        }
    }

    private static Path existingAncestor(Path target) {
        Path dir = target.getParent();
        while (dir != null && !Files.exists(dir)) {
            dir = dir.getParent();
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("video output " + target + ": " + dir + " is not a folder");
        }
        return dir;
    }

    private static void probe(Path target, Path dir) {
        try {
            Files.delete(Files.createTempFile(dir, ".write-probe.", ".tmp"));
        } catch (IOException e) {
            throw new IllegalArgumentException("video output " + target + ": cannot create files in " + dir + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
    }
}
