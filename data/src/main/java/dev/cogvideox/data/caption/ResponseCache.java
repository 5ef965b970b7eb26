package dev.cogvideox.data.caption;

import dev.cogvideox.io.AtomicFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Answers already paid for, on disk: one file per request, named by the SHA-256 of the URL and the request body (the
 * model, the prompt, the frames' bytes), holding the answer's text. Only good answers are stored, each written whole
 * (a temporary file renamed), so executors on several machines can share one folder, and a rerun asks again only what
 * failed or changed.
 */
public final class ResponseCache {
    private final Path dir;

    public ResponseCache(Path dir) {
        this.dir = dir;
    }

    public static String key(String url, String body) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(url.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) '\n');
            sha.update(body.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path file(String key) {
        return dir.resolve(key.substring(0, 2)).resolve(key + ".txt");
    }

    public Optional<String> get(String key) {
        Path f = file(key);
        try {
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();                                   // unreadable: ask again
        }
    }

    public void put(String key, String answer) {
        try {
            AtomicFile.write(file(key), tmp -> Files.writeString(tmp, answer, StandardCharsets.UTF_8));
        } catch (UncheckedIOException e) {
            // a cache that cannot be written costs a request next time, not the answer now
        }
    }
}
