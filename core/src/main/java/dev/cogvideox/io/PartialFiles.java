package dev.cogvideox.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The hidden temporary siblings an output is written through before it is renamed into place:
 * {@code .NAME.<pid>-<random>.partial} (a file) or {@code .NAME.partial.<pid>-<random>} (a folder). A run killed
 * with SIGKILL cannot delete its own; the next run that writes {@code NAME} removes those whose process is gone
 * ({@link #removeStale}), leaving alone the ones of a run still writing there.
 */
public final class PartialFiles {
    private static final long PID = ProcessHandle.current().pid();

    private PartialFiles() {
    }

    /** A new temporary file beside {@code target} (absolute), for its content before the rename. */
    public static Path createFile(Path target) throws IOException {
        removeStale(target);
        return Files.createTempFile(target.getParent(), "." + target.getFileName() + "." + PID + "-", ".partial");
    }

    /** A new temporary folder beside {@code target} (absolute), for its content before the rename. */
    public static Path createFolder(Path target) throws IOException {
        removeStale(target);
        return Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".partial." + PID + "-");
    }

    /**
     * Deletes the temporary siblings of {@code target} left by runs that are no longer alive (also those of
     * earlier versions, whose names carry no process id); returns how many it removed. Best effort: what cannot
     * be deleted stays, hidden.
     */
    public static int removeStale(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return 0;
        }
        String file = "." + abs.getFileName() + ".";
        String folder = file + "partial.";
        int removed = 0;
        try (Stream<Path> siblings = Files.list(dir)) {
            for (Path p : siblings.toList()) {
                String name = p.getFileName().toString();
                String rest = name.startsWith(folder) ? name.substring(folder.length())
                        : name.startsWith(file) && name.endsWith(".partial") ? name.substring(file.length()) : null;
                if (rest != null && !ownerAlive(rest) && deleteTree(p)) {
                    removed++;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
        return removed;
    }

    /** Whether the {@code <pid>-} in front of a temporary name's random part names a live process (this one included). */
    private static boolean ownerAlive(String rest) {
        int dash = rest.indexOf('-');
        if (dash <= 0) {
            return false;
        }
        try {
            long pid = Long.parseLong(rest.substring(0, dash));
            return pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean deleteTree(Path p) {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }
}
