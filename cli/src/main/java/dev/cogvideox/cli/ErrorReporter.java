package dev.cogvideox.cli;

import dev.cogvideox.progress.ProgressBar;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * Turns what ends a command into one line for the user (the stack with {@code COGVIDEOX_DEBUG} set) and an exit code:
 * the message of the project's own errors as it is, file-system errors with the file and what is wrong in words,
 * an {@link OutOfMemoryError} with the stage that ran out, the heap and what lowers the need, and anything else as
 * an internal error to report. Library internals (parser locations, reference chains) never reach the user.
 */
final class ErrorReporter {
    /** Exit code of a failed command (picocli uses 2 for bad usage too). */
    static final int FAILED = 2;
    /** Exit code of a run that ran out of memory. */
    static final int OUT_OF_MEMORY = 3;

    private ErrorReporter() {
    }

    /** Prints {@code error: ...} (and the stack when debugging) and returns the exit code. */
    static int report(Throwable t, PrintStream err) {
        return report(t, err, "");
    }

    /**
     * As {@link #report(Throwable, PrintStream)}, the line starting with {@code prefix} (a rank's, "rank 1 of 2: "),
     * printed at once: mpirun forwards each write of a rank on its own.
     */
    static int report(Throwable t, PrintStream err, String prefix) {
        OutOfMemoryError oom = find(t, OutOfMemoryError.class);
        String message = oom != null ? outOfMemory(oom) : message(t);
        err.println(prefix + "error: " + message);
        if (System.getenv("COGVIDEOX_DEBUG") != null) {
            t.printStackTrace(err);
        }
        return oom != null ? OUT_OF_MEMORY : FAILED;
    }

    /** The user's line for {@code t}. */
    static String message(Throwable t) {
        Throwable io = t instanceof UncheckedIOException u && u.getCause() instanceof FileSystemException ? u.getCause() : t;
        if (io instanceof FileSystemException f) {
            return fileSystem(f);
        }
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            StackTraceElement at = t.getStackTrace().length > 0 ? t.getStackTrace()[0] : null;
            return "internal error (" + t.getClass().getSimpleName() + (at == null ? "" : " at " + at.getFileName() + ":" + at.getLineNumber())
                    + "); please report it with the command line; COGVIDEOX_DEBUG=1 prints the stack";
        }
        return withoutInternals(m);
    }

    /** A file-system error in words: the file, and what is wrong with it. */
    private static String fileSystem(FileSystemException f) {
        String file = f.getFile() == null ? "" : f.getFile() + ": ";
        String reason = f.getReason() == null ? "" : f.getReason();
        if (f instanceof NoSuchFileException) {
            return file + "no such file or folder";
        }
        if (f instanceof AccessDeniedException) {
            return file + "permission denied";
        }
        if (f instanceof NotDirectoryException) {
            return file + "is not a folder";
        }
        if (reason.contains("No such device") || reason.contains("Is a directory")) {
            return file + "is a folder, a file was expected";
        }
        if (reason.contains("No space left")) {
            return file + "no space left on the device";
        }
        return file + (reason.isEmpty() ? f.getClass().getSimpleName() : reason);
    }

    /** Cuts what a JSON parser or a wrapper appends for its developers. */
    static String withoutInternals(String m) {
        for (String cut : new String[]{" at [Source:", "\n at [Source:", " (through reference chain", "\n (through reference chain",
                " (For more details, make sure FFmpegLogCallback"}) {
            int i = m.indexOf(cut);
            if (i >= 0) {
                m = m.substring(0, i);
            }
        }
        return m.strip();
    }

    /** Which stage ran out (from where the allocation failed), how much heap there was, and what lowers the need. */
    static String outOfMemory(OutOfMemoryError e) {
        String stage = "the run";
        String lower = "use fewer --frames or a smaller --height/--width";
        for (StackTraceElement f : e.getStackTrace()) {
            String c = f.getClassName();
            if (c.startsWith("dev.cogvideox.model.text.")) {
                stage = "the text encoder stage";
                lower = "the prompt length is the model's max_text_seq_length (226 published), so only more heap helps";
                break;
            } else if (c.startsWith("dev.cogvideox.model.vae.")) {
                stage = "the VAE stage";
                lower = "use --vae-tiling, or fewer --frames or a smaller --height/--width";
                break;
            } else if (c.startsWith("dev.cogvideox.model.transformer.") || c.startsWith("dev.cogvideox.pipeline.")) {
                stage = "the transformer (denoising) stage";
                break;
            } else if (c.startsWith("dev.cogvideox.train.")) {
                stage = "the training step";
                lower = "use a smaller --batch-tokens or smaller --stages, or a LoRA instead of --full";
                break;
            } else if (c.startsWith("dev.cogvideox.io.")) {
                stage = "loading a file";
                lower = "check that the file is what it should be (`cogvideox inspect`)";
                break;
            }
        }
        return String.format(Locale.ROOT, "out of memory in %s (%s; the Java heap is %s): %s, or give the JVM more heap "
                        + "(COGVIDEOX_JAVA_OPTS=-Xmx...); the memory plan printed at the start shows what each stage needs",
                stage, e.getMessage() == null ? "OutOfMemoryError" : e.getMessage(), ProgressBar.bytes(Runtime.getRuntime().maxMemory()), lower);
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
