package dev.cogvideox.data.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The input videos of a run: a folder (its video files, searched in subfolders too, in path order) or a list file (one
 * path a line, relative to the list's folder; blank lines and lines starting with {@code #} skipped). A listed path
 * that is missing is still an input: its row says so, and the run goes on. Nothing in the output folder is an input.
 */
public final class Inputs {
    /** What a folder's videos end in (FFmpeg reads more; list them in a file to use them). */
    public static final Set<String> VIDEO_EXTENSIONS = Set.of("mp4", "mov", "mkv", "webm", "avi", "m4v", "mpg", "mpeg", "ts", "flv", "wmv", "gif");

    private Inputs() {
    }

    /**
     * The videos of {@code input}, absolute; those in the {@code output} folder (a run's own clips, when the output is
     * inside the input folder) are left out.
     */
    public static List<String> list(Path input, Path output) {
        Path abs = input.toAbsolutePath().normalize(), own = output.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            try (Stream<Path> files = Files.walk(abs)) {
                List<String> out = files.filter(p -> !p.startsWith(own)).filter(Files::isRegularFile).filter(Inputs::isVideo)
                        .map(Path::toString).sorted().toList();
                if (out.isEmpty()) {
                    throw new IllegalArgumentException("--input " + input + ": a folder without video files (" + String.join(", ",
                            VIDEO_EXTENSIONS.stream().sorted().toList()) + "); give a list file to name others");
                }
                return out;
            } catch (IOException | UncheckedIOException e) {
                throw new IllegalArgumentException("--input " + input + ": cannot list it: " + e.getMessage(), e);
            }
        }
        if (!Files.isRegularFile(abs)) {
            throw new IllegalArgumentException("--input " + input + ": no such folder or file (give a folder of videos or a list file, one path a line)");
        }
        if (isVideo(abs)) {
            throw new IllegalArgumentException("--input " + input + ": is a video; give its folder, or a list file naming it");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(abs, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("--input " + input + ": not a UTF-8 text file (a list file has one video path a line)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + input + ": cannot read it: " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String s = line.strip();
            if (!s.isEmpty() && !s.startsWith("#")) {
                Path p = abs.getParent().resolve(s).normalize();
                if (!out.contains(p.toString()) && !p.startsWith(own)) {
                    out.add(p.toString());
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--input " + input + ": lists no video (one path a line, outside the output folder)");
        }
        return out;
    }

    private static boolean isVideo(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot > 0 && VIDEO_EXTENSIONS.contains(name.substring(dot + 1)) && !name.startsWith(".");
    }
}
