package dev.cogvideox.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a file through a temporary sibling that is renamed into place, so an interrupted write leaves no half file. */
public final class AtomicFile {
    /** Writes the content of the temporary path it is given. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(Path tmp) throws IOException;
    }

    private AtomicFile() {
    }

    /**
     * Gives a temporary file or folder the permissions of an ordinary one ({@code rw-r--r--}, {@code rwxr-xr-x}):
     * {@code createTempFile}/{@code createTempDirectory} make them owner-only, and the rename keeps that.
     */
    public static void makeOrdinary(Path tmp) throws IOException {
        if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(Files.isDirectory(tmp) ? "rwxr-xr-x" : "rw-r--r--"));
        }
    }

    public static void write(Path target, Writer writer) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = PartialFiles.createFile(abs);
            makeOrdinary(tmp);
            writer.writeTo(tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + abs + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the partial file is hidden and named .partial
                }
            }
        }
    }
}
