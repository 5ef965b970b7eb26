package dev.cogvideox.synth;

import dev.cogvideox.io.AtomicFile;
import dev.cogvideox.tensor.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The model {@code generate} uses when none is given: the world model this project trained
 * (docs/default-model.md), whose folder the launcher names in the system property {@value #TRAINED_PROPERTY}
 * ({@code models/world-v1} of the repository), when that folder holds a model; otherwise the {@link Variant#TINY}
 * random-weight model ({@link #tiny()}), written in the diffusers layout on first use under {@code $COGVIDEOX_HOME}
 * (default {@code ~/.cache/cogvideox-java}), which makes meaningless pictures in seconds and shows that the whole
 * path (tokenizer to MP4) works.
 */
public final class DefaultModel {
    /** The system property naming the trained default model's folder. */
    public static final String TRAINED_PROPERTY = "cogvideox.defaultModel";
    private static final String NAME = "tiny-random-v1";

    private DefaultModel() {
    }

    public static Path home() {
        String env = System.getenv("COGVIDEOX_HOME");
        if (env != null && !env.isBlank()) {
            return Paths.get(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return cache.resolve("cogvideox-java");
    }

    /** The default model's folder: the trained one if there is one, else {@link #tiny()}. */
    public static Path ensure() {
        return trained().orElseGet(DefaultModel::tiny);
    }

    /** The trained default model's folder, if {@value #TRAINED_PROPERTY} names a folder with a {@code model_index.json}. */
    public static Optional<Path> trained() {
        String dir = System.getProperty(TRAINED_PROPERTY);
        if (dir == null || dir.isBlank()) {
            return Optional.empty();
        }
        Path p = Paths.get(dir);
        return Files.isRegularFile(p.resolve("model_index.json")) ? Optional.of(p) : Optional.empty();
    }

    /** The tiny random-weight model's folder, written first if it is not there (into a temporary folder renamed at the end). */
    public static Path tiny() {
        Path dir = home().resolve(NAME);
        if (Files.isRegularFile(dir.resolve("model_index.json"))) {
            return dir;
        }
        try {
            Files.createDirectories(home());
            Path tmp = Files.createTempDirectory(home(), "." + NAME + ".");
            try {
                SyntheticCheckpoint.write(Variant.TINY, DType.BF16, tmp, 0);
                AtomicFile.makeOrdinary(tmp);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // another process finished first (or the move cannot be atomic): keep what is there
                if (!Files.isRegularFile(dir.resolve("model_index.json"))) {
                    throw e;
                }
            } finally {
                deleteTree(tmp);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the default model under " + home() + " (set COGVIDEOX_HOME): " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
