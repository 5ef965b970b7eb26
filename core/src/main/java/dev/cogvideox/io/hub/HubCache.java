package dev.cogvideox.io.hub;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The hub cache layout, shared with {@code huggingface_hub}:
 * <pre>
 * root/models--org--name/refs/main                  the commit hash "main" points to
 * root/models--org--name/snapshots/&lt;commit&gt;/&lt;file&gt;  relative symlink to ../../blobs/&lt;etag&gt;
 * root/models--org--name/blobs/&lt;etag&gt;               the content (sha256 for LFS files, git blob sha1 otherwise)
 * </pre>
 */
public record HubCache(Path root) {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /** Whether {@code revision} is a full commit hash (used as a snapshot name directly). */
    public static boolean isCommit(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    public Path repoFolder(RepoId repo) {
        return root.resolve(repo.cacheFolderName());
    }

    /** The file whose content is the commit {@code revision} points to. */
    public Path refFile(RepoId repo, String revision) {
        return repoFolder(repo).resolve("refs").resolve(revision);
    }

    public Path snapshotFolder(RepoId repo, String commit) {
        return repoFolder(repo).resolve("snapshots").resolve(commit);
    }

    public Path blob(RepoId repo, String etag) {
        return repoFolder(repo).resolve("blobs").resolve(etag);
    }

    /** The cached snapshot of {@code revision} (a commit hash or a ref such as {@code main}), if present. */
    public Optional<Path> snapshot(RepoId repo, String revision) throws IOException {
        String commit = revision;
        if (!isCommit(revision)) {
            Path ref = refFile(repo, revision);
            if (!Files.isRegularFile(ref)) {
                return Optional.empty();
            }
            commit = Files.readString(ref).strip();
        }
        Path snapshot = snapshotFolder(repo, commit);
        return Files.isDirectory(snapshot) ? Optional.of(snapshot) : Optional.empty();
    }

    /** Records that {@code revision} points to {@code commit} (nothing to do when the revision is the commit). */
    void writeRef(RepoId repo, String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = refFile(repo, revision);
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), ".ref.", ".tmp");
        Files.writeString(tmp, commit);
        moveAtomically(tmp, ref);
    }

    /** Makes {@code snapshots/<commit>/<file>} a relative symlink to {@code blob}, or a copy where symlinks fail. */
    Path link(RepoId repo, String commit, String file, Path blob) throws IOException {
        Path target = snapshotFolder(repo, commit).resolve(file);
        Files.createDirectories(target.getParent());
        Files.deleteIfExists(target);
        try {
            Files.createSymbolicLink(target, target.getParent().relativize(blob));
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, target);
        }
        return target;
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
