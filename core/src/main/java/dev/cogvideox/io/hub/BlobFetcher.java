package dev.cogvideox.io.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Downloads one file into {@code blobs/<etag>}: bytes go to {@code <etag>.incomplete}, which a later attempt
 * (in this call or a later run) resumes with an HTTP Range request; the finished file is checked against its
 * size and etag (sha256 for LFS files, git blob sha1 for small ones) and only then renamed to the blob. A
 * mismatch deletes the download. The check rereads the finished file (a few seconds per GB), so a resumed
 * download is checked whole.
 */
final class BlobFetcher {
    /** Connection drops tolerated per file; each retry resumes where the last one stopped. */
    static final int ATTEMPTS = 4;
    private static final int BUFFER = 1 << 16;

    private final HubClient client;

    BlobFetcher(HubClient client) {
        this.client = client;
    }

    /**
     * Fetches {@code file} into {@code blob} unless present.
     *
     * @param progress receives the number of new bytes written, as they arrive
     */
    void fetch(RemoteFile file, Path blob, LongConsumer progress) throws IOException {
        if (Files.isRegularFile(blob)) {
            return;
        }
        Files.createDirectories(blob.getParent());
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        if (Files.isRegularFile(partial)) {
            progress.accept(Files.size(partial)); // left by an earlier run: already done
        }
        for (int attempt = 1; ; attempt++) {
            try {
                download(file, partial, progress);
                break;
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw new IOException(file.name() + ": download failed " + ATTEMPTS + " times (kept " + partial
                            + " to resume): " + e.getMessage(), e);
                }
            }
        }
        verify(file, partial);
        HubCache.moveAtomically(partial, blob);
    }

    private void download(RemoteFile file, Path partial, LongConsumer progress) throws IOException {
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        if (file.size() >= 0 && have > file.size()) {
            progress.accept(-have);
            Files.delete(partial);
            have = 0;
        }
        if (have > 0 && have == file.size()) {
            return;
        }
        HttpResponse<InputStream> r = client.get(file, have);
        try (InputStream in = r.body()) {
            boolean append = switch (r.statusCode()) {
                case 206 -> {
                    if (rangeStart(r) != have) {
                        throw new IOException(file.name() + ": the server resumed at byte " + rangeStart(r) + ", not " + have);
                    }
                    yield true;
                }
                case 200 -> false;
                default -> throw new HubException(file.name() + ": HTTP " + r.statusCode() + " from " + r.uri());
            };
            if (!append) {
                progress.accept(-have); // starting over: take back what was counted
            }
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    progress.accept(n);
                }
            }
        }
    }

    private static long rangeStart(HttpResponse<?> r) {
        Optional<String> range = r.headers().firstValue("Content-Range"); // "bytes 100-999/1000"
        return range.map(v -> Long.parseLong(v.replaceFirst("^bytes\\s+(\\d+)-.*$", "$1"))).orElse(-1L);
    }

    private static void verify(RemoteFile file, Path partial) throws IOException {
        long size = Files.size(partial);
        String problem = null;
        if (file.size() >= 0 && size != file.size()) {
            problem = "size " + size + " bytes, the hub said " + file.size();
        } else if (file.isSha256()) {
            String sha = hash(partial, "SHA-256", new byte[0]);
            problem = sha.equals(file.etag()) ? null : "sha256 " + sha + ", the hub said " + file.etag();
        } else if (file.isGitSha1()) {
            String sha = hash(partial, "SHA-1", ("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
            problem = sha.equals(file.etag()) ? null : "git blob sha1 " + sha + ", the hub said " + file.etag();
        }
        if (problem != null) {
            Files.delete(partial);
            throw new HubException(file.name() + ": downloaded content does not match (" + problem
                    + "); the download was deleted, try again");
        }
    }

    private static String hash(Path file, String algorithm, byte[] prefix) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " missing from the JDK", e);
        }
        digest.update(prefix);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) > 0; ) {
                digest.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
