package dev.cogvideox.io.video;

import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.io.PartialFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A hidden temporary sibling (file or folder) of an output path, later renamed onto it or deleted. A shutdown
 * hook deletes it if the JVM exits first (Ctrl-C); after a kill -9 the next run writing the same path removes it
 * ({@link PartialFiles}).
 */
final class TempOutput {
    private final Path target;
    private final Path temp;
    private final Thread cleanup = new Thread(this::deleteQuietly, "delete partial video");
    private boolean pending = true;

    private TempOutput(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** A temporary file next to {@code target} (parent folders are created). */
    static TempOutput file(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        return new TempOutput(abs, PartialFiles.createFile(abs));
    }

    /** A temporary folder next to {@code target} (parent folders are created). */
    static TempOutput folder(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        return new TempOutput(abs, PartialFiles.createFolder(abs));
    }

    Path path() {
        return temp;
    }

    /** Renames the temporary output onto the target (replacing a file, or an empty folder) and returns the target. */
    Path publish() throws IOException {
        AtomicFile.makeOrdinary(temp);
        if (Files.isDirectory(target)) {
            Files.delete(target); // fails unless empty: VideoWriters.checkWritable refuses non-empty folders
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        done();
        return target;
    }

    /** Deletes the temporary output if it was not published. */
    void discard() {
        if (pending) {
            deleteQuietly();
            done();
        }
    }

    private void done() {
        pending = false;
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: nothing to unregister
        }
    }

    private void deleteQuietly() {
        if (!Files.exists(temp)) {
            return;
        }
        try (Stream<Path> all = Files.walk(temp)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort: what is left is hidden and named .partial
        }
    }
}
